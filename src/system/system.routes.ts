import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../http/openapi.ts';

const check = z.object({ status: z.enum(['ok', 'fail']), detail: z.string() });
const readiness = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: check, migrations: check, llm: check }),
  })
  .openapi('Readiness');

export const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Liveness: 200 while the process serves',
  responses: {
    200: {
      description: 'Alive',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }).openapi('Health') } },
    },
    ...errorResponses,
  },
});

export const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['system'],
  summary: 'Readiness: database, migrations and model provider',
  responses: {
    200: { description: 'Ready to serve', content: { 'application/json': { schema: readiness } } },
    503: { description: 'A check failed', content: { 'application/json': { schema: readiness } } },
    ...errorResponses,
  },
});
