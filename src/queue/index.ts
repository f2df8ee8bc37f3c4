import { createRouter } from '../http/create-router.ts';
import { listDeadJobsHandler, retryJobHandler } from './admin/dead-jobs.handlers.ts';
import { listDeadJobsRoute, retryJobRoute } from './admin/dead-jobs.routes.ts';

export const jobsAdminRouter = createRouter()
  .openapi(listDeadJobsRoute, listDeadJobsHandler)
  .openapi(retryJobRoute, retryJobHandler);
