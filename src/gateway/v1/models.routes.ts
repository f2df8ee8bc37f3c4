import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { openAiErrorResponses } from './v1.schemas.ts';

export const modelListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal('model'),
        created: z.number().int(),
        owned_by: z.string(),
      }),
    ),
  })
  .openapi('ModelList');

export const listModelsRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  operationId: 'listModels',
  tags: ['openai-compatible'],
  summary: 'Models of the configured provider',
  ...guarded({ routeClass: 'read' }),
  responses: {
    200: { description: 'The models', content: { 'application/json': { schema: modelListSchema } } },
    ...openAiErrorResponses,
  },
});
