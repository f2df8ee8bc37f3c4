import { createRouter } from '../http/create-router.ts';
import { listAuditHandler } from './audit/audit.handlers.ts';
import { listAuditRoute } from './audit/audit.routes.ts';
import {
  deleteAgentProfileHandler,
  getAgentProfileHandler,
  listAgentProfilesHandler,
  putAgentProfileHandler,
} from './profiles/agents-admin.handlers.ts';
import {
  deleteAgentProfileRoute,
  getAgentProfileRoute,
  listAgentProfilesRoute,
  putAgentProfileRoute,
} from './profiles/agents-admin.routes.ts';

/** The agents' admin routes: profiles and the tool-call audit log. */
export const agentsAdminRouter = createRouter()
  .openapi(listAgentProfilesRoute, listAgentProfilesHandler)
  .openapi(getAgentProfileRoute, getAgentProfileHandler)
  .openapi(putAgentProfileRoute, putAgentProfileHandler)
  .openapi(deleteAgentProfileRoute, deleteAgentProfileHandler)
  .openapi(listAuditRoute, listAuditHandler);
