import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { jobHandlers } from '../../job-handlers.ts';
import type { listDeadJobsRoute, retryJobRoute } from './dead-jobs.routes.ts';
import { listDeadLetters, retryDeadLetter } from './dead-jobs.ts';

export const listDeadJobsHandler: RouteHandler<typeof listDeadJobsRoute, AuthedEnv> = async (c) =>
  c.json(await listDeadLetters(c.get('deps'), c.req.valid('query')), 200);

export const retryJobHandler: RouteHandler<typeof retryJobRoute, AuthedEnv> = async (c) =>
  c.json(await retryDeadLetter(c.get('deps'), jobHandlers, c.req.valid('param').id), 202);
