import type { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import pkg from '../package.json' with { type: 'json' };
import type { DepsResolver } from './deps.ts';
import { anonymousRateLimit } from './guards/rate-limit/anonymous-rate-limit.middleware.ts';
import type { AppEnv } from './http/app-env.ts';
import { corsForAllowedOrigins } from './http/cors.middleware.ts';
import { createRouter } from './http/create-router.ts';
import { errorHandler } from './http/error-handler.ts';
import { createNotFoundHandler } from './http/not-found.ts';
import { registerOpenApi } from './http/openapi.ts';
import { requestContext } from './http/request-context.middleware.ts';
import { mountRoutes } from './routes.ts';

export const APP_VERSION = pkg.version;

/**
 * Builds the whole API. The same app runs on Node and workerd; only `resolveDeps` differs.
 * `routers` narrows what is served (a job worker answers only probes and scrapes).
 */
export function createApp(resolveDeps: DepsResolver, routers?: readonly OpenAPIHono<AppEnv>[]) {
  const app = createRouter();
  app.use(requestId({ limitLength: 128 }));
  app.use(requestContext({ resolveDeps }));
  // Before the pre-auth limiter and the guards: preflights need no token and are not counted.
  app.use(corsForAllowedOrigins());
  app.use(anonymousRateLimit());
  mountRoutes(app, routers);
  registerOpenApi(app, APP_VERSION);
  app.onError(errorHandler);
  app.notFound(createNotFoundHandler(() => app.routes));
  return app;
}

export type App = ReturnType<typeof createApp>;
