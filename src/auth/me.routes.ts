import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../http/openapi.ts';
import { roles } from './principal.ts';

export const meResponseSchema = z
  .object({
    id: z.string().openapi({ example: 'alice' }),
    role: z.enum(roles),
    plan: z.string().openapi({ example: 'free' }),
  })
  .openapi('Me');

export const getMeRoute = createRoute({
  method: 'get',
  path: '/me',
  operationId: 'getMe',
  tags: ['account'],
  summary: 'The authenticated caller',
  ...guarded({ routeClass: 'read' }),
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: meResponseSchema } } },
    ...authErrorResponses,
    429: problemResponses[429],
  },
});
