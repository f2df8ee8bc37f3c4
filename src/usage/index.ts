import { createRouter } from '../http/create-router.ts';
import { usageHandler } from './usage.handlers.ts';
import { usage } from './usage.routes.ts';

export const usageRouter = createRouter().openapi(usage, usageHandler);
