import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../http/app-env.ts';
import type { getMeRoute, meResponseSchema } from './me.routes.ts';
import type { Principal } from './principal.ts';

const toMeResponse = (principal: Principal): z.input<typeof meResponseSchema> => ({
  id: principal.userId,
  role: principal.role,
  plan: principal.plan,
});

export const getMeHandler: RouteHandler<typeof getMeRoute, AuthedEnv> = (c) =>
  c.json(toMeResponse(c.get('principal')), 200);
