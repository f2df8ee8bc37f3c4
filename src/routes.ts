import type { OpenAPIHono } from '@hono/zod-openapi';
import { authRouter } from './auth/index.ts';
import { docsRouter } from './docs/index.ts';
import type { AppEnv } from './http/app-env.ts';
import { systemRouter } from './system/index.ts';

/** Every capability's router, in one list; createApp and the OpenAPI script both mount it. */
export const routers: OpenAPIHono<AppEnv>[] = [systemRouter, docsRouter, authRouter];

export function mountRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const router of routers) app.route('/', router);
}
