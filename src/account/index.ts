import { createRouter } from '../http/create-router.ts';
import { eraseAccountHandler, eraseUserHandler, exportAccountHandler } from './account.handlers.ts';
import { eraseAccountRoute, eraseUserRoute, exportAccountRoute } from './account.routes.ts';

export const accountRouter = createRouter()
  .openapi(exportAccountRoute, exportAccountHandler)
  .openapi(eraseAccountRoute, eraseAccountHandler);

/** Admin routes of the data lifecycle (the other /admin/users routes are src/admin/users). */
export const accountAdminRouter = createRouter().openapi(eraseUserRoute, eraseUserHandler);
