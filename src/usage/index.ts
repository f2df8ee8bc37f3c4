import { createRouter } from '../http/create-router.ts';
import { getUsageHandler } from './usage.handlers.ts';
import { getUsageRoute } from './usage.routes.ts';

export const usageRouter = createRouter().openapi(getUsageRoute, getUsageHandler);
