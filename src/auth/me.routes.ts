import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../guards/guarded.middleware.ts';
import { authErrorResponses } from '../http/openapi.ts';

export const meSchema = z
  .object({
    id: z.string().openapi({ example: 'alice' }),
    role: z.enum(['user', 'admin']),
    plan: z.string().openapi({ example: 'free' }),
  })
  .openapi('Me');

export const me = createRoute({
  method: 'get',
  path: '/me',
  tags: ['account'],
  summary: 'The authenticated caller',
  ...guarded({ routeClass: 'read' }),
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: meSchema } } },
    ...authErrorResponses,
  },
});
