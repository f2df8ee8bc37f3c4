import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../http/app-env.ts';
import type { me } from './me.routes.ts';

export const meHandler: RouteHandler<typeof me, AuthedEnv> = (c) => {
  const principal = c.get('principal');
  return c.json({ id: principal.userId, role: principal.role, plan: principal.plan }, 200);
};
