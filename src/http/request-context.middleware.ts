import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { DepsResolver, WaitUntil } from '../deps.ts';
import type { AppEnv } from './app-env.ts';

// Hono's getter throws where the runtime gives none (Node, app.request in tests).
function executionContext(c: Context): WaitUntil | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Puts the deps and a request-scoped logger on the context, then writes one JSON
 * access-log line per request with its latency, status and caller.
 */
export function requestContext(options: { resolveDeps: DepsResolver }): MiddlewareHandler<AppEnv> {
  return async function requestContextMiddleware(c, next) {
    const started = performance.now();
    const deps = options.resolveDeps(c.env, executionContext(c));
    const logger = deps.logger.child({ request_id: c.get('requestId') });
    c.set('deps', deps);
    c.set('logger', logger);
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      route: routePath(c, -1),
      path: c.req.path,
      status,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
      user_id: c.get('principal')?.userId,
    };
    if (status >= 500) logger.error('request', fields);
    else logger.info('request', fields);
  };
}
