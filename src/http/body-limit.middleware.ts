import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/schema.ts';
import { payloadTooLarge } from '../errors.ts';
import type { AppEnv } from './app-env.ts';

/** Larger limits for specific routes, keyed by "METHOD /path" (e.g. document uploads). */
export type BodyLimitOverrides = Record<string, (config: Config) => number>;

/** 413 problem when a body exceeds BODY_LIMIT_BYTES (or the route's override); limits come from the request's config. */
export function limitBody(options: { overrides?: BodyLimitOverrides } = {}): MiddlewareHandler<AppEnv> {
  const byLimit = new Map<number, MiddlewareHandler<AppEnv>>();
  return async function limitBodyMiddleware(c, next) {
    const { config } = c.get('deps');
    const limit = options.overrides?.[`${c.req.method} ${c.req.path}`]?.(config) ?? config.BODY_LIMIT_BYTES;
    let middleware = byLimit.get(limit);
    if (!middleware) {
      middleware = bodyLimit({
        maxSize: limit,
        onError: () => {
          throw payloadTooLarge(limit);
        },
      });
      byLimit.set(limit, middleware);
    }
    return middleware(c, next);
  };
}
