import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/app-env.ts';
import { checkReadiness, type Readiness } from './readiness.ts';
import type { getHealthRoute, getReadinessRoute, readinessResponseSchema } from './system.routes.ts';

const toReadinessResponse = (readiness: Readiness): z.input<typeof readinessResponseSchema> => ({
  status: readiness.ready ? 'ready' : 'not_ready',
  checks: readiness.checks,
});

// Unguarded: load balancers and orchestrators probe these without a token.
export const getHealthHandler: RouteHandler<typeof getHealthRoute, AppEnv> = (c) =>
  c.json({ status: 'ok' as const }, 200);

export const getReadinessHandler: RouteHandler<typeof getReadinessRoute, AppEnv> = async (c) => {
  const readiness = await checkReadiness({ ...c.get('deps'), logger: c.get('logger') });
  c.header('Cache-Control', 'no-store');
  const body = toReadinessResponse(readiness);
  return readiness.ready ? c.json(body, 200) : c.json(body, 503);
};
