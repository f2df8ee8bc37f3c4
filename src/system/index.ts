import { createRouter } from '../http/create-router.ts';
import { getHealthHandler, getReadinessHandler } from './system.handlers.ts';
import { getHealthRoute, getReadinessRoute } from './system.routes.ts';

export const systemRouter = createRouter()
  .openapi(getHealthRoute, getHealthHandler)
  .openapi(getReadinessRoute, getReadinessHandler);
