import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { payloadTooLarge } from '../errors.ts';
import type { AppEnv } from './app-env.ts';

/** 413 problem when a body exceeds BODY_LIMIT_BYTES; the limit comes from the request's config. */
export function limitBody(): MiddlewareHandler<AppEnv> {
  const byLimit = new Map<number, MiddlewareHandler<AppEnv>>();
  return async function limitBodyMiddleware(c, next) {
    const limit = c.get('deps').config.BODY_LIMIT_BYTES;
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
