import { z } from 'zod';

// The security report responses carry. Plain zod (biome.json keeps Hono out of this folder);
// `.meta({ id })` names the OpenAPI component.

export const screenSources = ['input', 'document', 'tool_result'] as const;

/** What a text was to the model: the caller's input, a retrieved chunk, or a tool's result. */
export type ScreenSource = (typeof screenSources)[number];

/** One text the prompt-injection detector flagged in a request. */
export interface InjectionFinding {
  source: ScreenSource;
  signals: string[];
  score: number;
  /** Which chunk (its id) or tool call (`<tool>:<call id>`); absent for the caller's input. */
  ref?: string;
  /** True when INJECTION_DETECTION=block kept it from the model (a chunk left out, a result withheld). */
  withheld: boolean;
}

const injectionFindingSchema = z
  .object({
    source: z.enum(screenSources),
    signals: z.array(z.string()).meta({ description: 'The detector rules that matched' }),
    score: z.number(),
    ref: z.string().optional().meta({ description: 'The chunk id, or `<tool>:<call id>`' }),
    withheld: z.boolean().meta({ description: 'Left out of the model context (INJECTION_DETECTION=block)' }),
  })
  .meta({ id: 'InjectionFinding' });

export const securityReportSchema = z
  .object({
    injection: z.object({
      flagged: z.boolean(),
      sources: z.array(injectionFindingSchema),
    }),
  })
  .meta({
    id: 'SecurityReport',
    description:
      'What the prompt-injection detector flagged in this request (the input, retrieved chunks, tool results); absent when INJECTION_DETECTION=off.',
  });

/** The report a response carries: undefined (no field) when detection is off. */
export const toSecurityReport = (
  findings: InjectionFinding[] | undefined,
): z.input<typeof securityReportSchema> | undefined =>
  findings && {
    injection: {
      flagged: findings.length > 0,
      sources: findings.map((f) => ({
        source: f.source,
        signals: f.signals,
        score: f.score,
        ...(f.ref === undefined ? {} : { ref: f.ref }),
        withheld: f.withheld,
      })),
    },
  };
