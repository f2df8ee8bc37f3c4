import { createRouter } from '../../http/create-router.ts';
import { createPlanHandler, getPlanHandler, listPlansHandler, updatePlanHandler } from './plans.handlers.ts';
import { createPlanRoute, getPlanRoute, listPlansRoute, updatePlanRoute } from './plans.routes.ts';

/** `/admin/plans`: plans and their quotas, for admins; every change audited. */
export const plansAdminRouter = createRouter()
  .openapi(listPlansRoute, listPlansHandler)
  .openapi(getPlanRoute, getPlanHandler)
  .openapi(createPlanRoute, createPlanHandler)
  .openapi(updatePlanRoute, updatePlanHandler);
