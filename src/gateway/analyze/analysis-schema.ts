import { z } from 'zod';
import type { JsonSchema } from '../../llm/llm-client.ts';

/**
 * The default analysis. Kept within what OpenAI's strict structured outputs accept (every
 * property required, no additional properties, no string length bounds) so it can run strict.
 */
export const analysisSchema = z.strictObject({
  summary: z.string().describe('A faithful summary of the text in one or two sentences, in its language.'),
  sentiment: z.strictObject({
    label: z.enum(['positive', 'neutral', 'negative']),
    confidence: z.number().min(0).max(1).describe('How sure the label is, from 0 to 1.'),
  }),
  topics: z.array(z.string()).max(10).describe('Up to ten short topic keywords, most important first.'),
  entities: z
    .array(
      z.strictObject({ name: z.string(), type: z.enum(['person', 'organization', 'location', 'other']) }),
    )
    .max(50)
    .describe('Named entities mentioned in the text.'),
  language: z.string().describe('ISO 639-1 code of the text\'s language, or "und" if undetermined.'),
});

const { $schema: _dialect, ...generated } = z.toJSONSchema(analysisSchema, { io: 'output' });

/** The default schema as JSON Schema, for the model's structured-output mode. */
export const analysisJsonSchema: JsonSchema = generated;
