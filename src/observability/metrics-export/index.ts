import { createRouter } from '../../http/create-router.ts';
import { getMetricsHandler } from './metrics.handlers.ts';
import { getMetricsRoute } from './metrics.routes.ts';

export const metricsRouter = createRouter().openapi(getMetricsRoute, getMetricsHandler);
