import { createRouter } from '../http/create-router.ts';
import { listAdminActionsHandler } from './actions/actions.handlers.ts';
import { listAdminActionsRoute } from './actions/actions.routes.ts';
import { getOverviewHandler } from './overview/overview.handlers.ts';
import { getOverviewRoute } from './overview/overview.routes.ts';
import { getUsageBreakdownHandler } from './usage/usage.handlers.ts';
import { getUsageBreakdownRoute } from './usage/usage.routes.ts';

export { adminDashboardRouter } from './dashboard/index.ts';

/** Admins' JSON view of the whole service: the overview, usage across users, the admin audit log. */
export const adminRouter = createRouter()
  .openapi(getOverviewRoute, getOverviewHandler)
  .openapi(getUsageBreakdownRoute, getUsageBreakdownHandler)
  .openapi(listAdminActionsRoute, listAdminActionsHandler);
