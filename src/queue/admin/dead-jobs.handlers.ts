import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { jobHandlers } from '../../job-handlers.ts';
import type {
  deadJobSchema,
  listDeadJobsRoute,
  retriedJobSchema,
  retryJobRoute,
} from './dead-jobs.routes.ts';
import { type DeadJob, listDeadJobs, retryDeadJob } from './dead-jobs.ts';

const toDeadJobResponse = (job: DeadJob): z.input<typeof deadJobSchema> => ({
  id: job.id,
  kind: job.kind,
  payload: job.payload,
  attempts: job.attempts,
  last_error: job.lastError,
  created_at: job.createdAt.toISOString(),
  failed_at: job.failedAt.toISOString(),
});

// retryDeadJob returns once the job is queued again.
const toRetriedJobResponse = (job: { id: string; kind: string }): z.input<typeof retriedJobSchema> => ({
  id: job.id,
  kind: job.kind,
  status: 'queued',
});

export const listDeadJobsHandler: RouteHandler<typeof listDeadJobsRoute, AuthedEnv> = async (c) => {
  const page = await listDeadJobs(c.get('deps'), c.req.valid('query'));
  return c.json(toPageResponse(page, toDeadJobResponse), 200);
};

export const retryJobHandler: RouteHandler<typeof retryJobRoute, AuthedEnv> = async (c) => {
  const job = await retryDeadJob(c.get('deps'), jobHandlers, {
    id: c.req.valid('param').id,
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
  });
  return c.json(toRetriedJobResponse(job), 202);
};
