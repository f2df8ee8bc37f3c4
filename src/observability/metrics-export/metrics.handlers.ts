import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/app-env.ts';
import type { getMetricsRoute } from './metrics.routes.ts';
import { PROMETHEUS_TEXT_TYPE, scrapeOf } from './metrics-scrape.ts';

// metricsAuth has already answered 404 where there is no scrape.
export const getMetricsHandler: RouteHandler<typeof getMetricsRoute, AppEnv> = async (c) => {
  const text = (await scrapeOf(c.get('deps').telemetry.meter)?.()) ?? '';
  return c.text(text, 200, {
    'Content-Type': `${PROMETHEUS_TEXT_TYPE}; charset=utf-8`,
    'Cache-Control': 'no-store',
  });
};
