import { createRouter } from '../http/create-router.ts';
import {
  approveRunHandler,
  createRunHandler,
  getRunHandler,
  listRunsHandler,
  rejectRunHandler,
} from './runs/runs.handlers.ts';
import {
  approveRunRoute,
  createRunRoute,
  getRunRoute,
  listRunsRoute,
  rejectRunRoute,
} from './runs/runs.routes.ts';
import { listToolsHandler } from './tools/tools.handlers.ts';
import { listToolsRoute } from './tools/tools.routes.ts';

export { agentsAdminRouter } from './admin-router.ts';

/** Agent runs and the tools they may use. */
export const agentsRouter = createRouter()
  .openapi(createRunRoute, createRunHandler)
  .openapi(listRunsRoute, listRunsHandler)
  .openapi(getRunRoute, getRunHandler)
  .openapi(approveRunRoute, approveRunHandler)
  .openapi(rejectRunRoute, rejectRunHandler)
  .openapi(listToolsRoute, listToolsHandler);
