import { createRoute, z } from '@hono/zod-openapi';
import { quotaDemands } from '../../billing/quotas/quota-demands.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '../../http/problem.ts';
import { safeString, withSafeText } from '../../http/text-safety.ts';
import { securityReportSchema } from '../../security/security.schemas.ts';

const analyzeRequestSchema = z
  .object({
    text: safeString()
      .min(1)
      .refine((t) => t.trim().length > 0, 'must contain more than whitespace')
      .openapi({ example: 'The new release fixed every crash I reported. Great work, Acme Corp!' }),
    schema: withSafeText(z.record(z.string(), z.unknown())).optional().openapi({
      description:
        'A JSON Schema (root "type": "object") for the result. Without it, the default analysis: summary, sentiment, topics, entities, language.',
    }),
    model: safeString()
      .max(200)
      .regex(/^[\w.:/@-]+$/, 'must be a model name')
      .optional()
      .openapi({ description: 'Model to ask; the configured LLM_MODEL when absent.' }),
  })
  .openapi('AnalyzeRequest', {
    example: { text: 'The new release fixed every crash I reported. Great work, Acme Corp!' },
  });

export const analyzeResponseSchema = z
  .object({
    result: z.record(z.string(), z.unknown()).openapi({ description: 'The validated JSON object.' }),
    model: z.string().openapi({ example: 'local' }),
    usage: z.object({
      tokens_in: z.number().int(),
      tokens_out: z.number().int(),
      cost_usd: z.number(),
    }),
    attempts: z.number().int().openapi({ description: 'Model calls made, repairs included.' }),
    request_id: z.string(),
    security: securityReportSchema.optional(),
  })
  .openapi('AnalyzeResponse');

export const analyzeTextRoute = createRoute({
  method: 'post',
  path: '/analyze',
  operationId: 'analyzeText',
  tags: ['gateway'],
  summary: 'Analyse a text into validated JSON (default analysis or your JSON Schema)',
  ...guarded({ routeClass: 'model', idempotent: true, quota: quotaDemands.analyze }),
  request: { body: { required: true, content: { 'application/json': { schema: analyzeRequestSchema } } } },
  responses: {
    200: {
      description: 'The validated result; headers x-cairn-cost-usd and x-cairn-overhead-ms',
      content: { 'application/json': { schema: analyzeResponseSchema } },
    },
    ...authErrorResponses,
    409: problemResponses[409],
    413: problemResponses[413],
    415: problemResponses[415],
    422: {
      description:
        'The schema cannot be used, or (INJECTION_DETECTION=block) the text was refused as a prompt injection (prompt-injection)',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    },
    429: problemResponses[429],
    502: problemResponses[502],
    503: problemResponses[503],
    504: {
      description: 'The model provider timed out',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    },
  },
});
