import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../http/app-env.ts';
import { checkReadiness } from './readiness.ts';
import type { health, ready } from './system.routes.ts';

export const healthHandler: RouteHandler<typeof health, AppEnv> = (c) =>
  c.json({ status: 'ok' as const }, 200);

export const readyHandler: RouteHandler<typeof ready, AppEnv> = async (c) => {
  const result = await checkReadiness(c.get('deps'));
  c.header('Cache-Control', 'no-store');
  const body = { status: result.ready ? ('ready' as const) : ('not_ready' as const), checks: result.checks };
  return result.ready ? c.json(body, 200) : c.json(body, 503);
};
