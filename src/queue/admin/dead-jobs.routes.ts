import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';

export const deadJobSchema = z
  .object({
    id: z.uuid(),
    kind: z.string().openapi({ example: 'rag.ingest' }),
    payload: z.record(z.string(), z.unknown()),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    failed_at: z.string(),
  })
  .openapi('DeadJob');

export const retriedJobSchema = z
  .object({ id: z.uuid(), kind: z.string(), status: z.literal('queued') })
  .openapi('RetriedJob');

export const listDeadJobsRoute = createRoute({
  method: 'get',
  path: '/admin/jobs/dead',
  operationId: 'listDeadJobs',
  tags: ['admin'],
  summary: 'Jobs that exhausted their retries (the dead-letter store)',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    query: pageQuerySchema,
  },
  responses: {
    200: {
      description: 'A page of dead jobs, most recently failed first',
      content: {
        'application/json': {
          schema: pageSchema(deadJobSchema, 'DeadJobPage'),
        },
      },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const retryJobRoute = createRoute({
  method: 'post',
  path: '/admin/jobs/{id}/retry',
  operationId: 'retryJob',
  tags: ['admin'],
  summary: 'Re-drive a dead job with fresh attempts',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    202: {
      description: 'Queued again',
      content: {
        'application/json': {
          schema: retriedJobSchema,
        },
      },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});
