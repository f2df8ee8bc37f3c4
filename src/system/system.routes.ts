import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../http/openapi.ts';

const healthResponseSchema = z.object({ status: z.literal('ok') }).openapi('Health');

const checkSchema = z.object({ status: z.enum(['ok', 'fail']), detail: z.string() });

export const readinessResponseSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: checkSchema, migrations: checkSchema, llm: checkSchema }),
  })
  .openapi('Readiness');

export const getHealthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  tags: ['system'],
  summary: 'Liveness: 200 while the process serves',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: healthResponseSchema } } },
    ...errorResponses,
  },
});

export const getReadinessRoute = createRoute({
  method: 'get',
  path: '/ready',
  operationId: 'getReadiness',
  tags: ['system'],
  summary: 'Readiness: database, migrations and model provider',
  responses: {
    200: {
      description: 'Ready to serve',
      content: { 'application/json': { schema: readinessResponseSchema } },
    },
    503: {
      description: 'A check failed',
      content: { 'application/json': { schema: readinessResponseSchema } },
    },
    ...errorResponses,
  },
});
