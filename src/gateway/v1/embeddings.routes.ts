import { createRoute, z } from '@hono/zod-openapi';
import { quotaDemands } from '../../billing/quotas/quota-demands.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { safeString } from '../../http/text-safety.ts';
import { modelNameSchema, openAiErrorResponses } from './v1.schemas.ts';

const embeddingsRequestSchema = z
  .looseObject({
    model: modelNameSchema.openapi({ example: 'text-embedding-3-small' }),
    input: z.union([safeString().min(1), z.array(safeString().min(1)).min(1).max(2048)]).openapi({
      description: 'A text or a list of texts (token arrays are not supported).',
    }),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: z.number().int().positive().optional(),
    user: safeString().max(256).optional(),
  })
  .openapi('EmbeddingsRequest', {
    example: { model: 'text-embedding-3-small', input: 'A partial index is built over a subset of a table.' },
  });

export const embeddingsResponseSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        object: z.literal('embedding'),
        index: z.number().int(),
        embedding: z.union([z.array(z.number()), z.string()]),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
  })
  .openapi('EmbeddingsList');

export const createEmbeddingsRoute = createRoute({
  method: 'post',
  path: '/v1/embeddings',
  operationId: 'createEmbeddings',
  tags: ['openai-compatible'],
  summary: 'OpenAI-compatible embeddings (float or base64)',
  ...guarded({ routeClass: 'model', idempotent: true, quota: quotaDemands.embeddings }),
  request: { body: { required: true, content: { 'application/json': { schema: embeddingsRequestSchema } } } },
  responses: {
    200: {
      description: 'The embeddings',
      content: { 'application/json': { schema: embeddingsResponseSchema } },
    },
    ...openAiErrorResponses,
  },
});
