import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/schema.ts';
import { payloadTooLarge } from '../errors.ts';
import type { AppEnv } from './app-env.ts';

/** The most bytes a route's body may have, read from the request's config. */
export type BodyLimit = (config: Config) => number;

const defaultLimit: BodyLimit = (config) => config.BODY_LIMIT_BYTES;

/** 413 problem when a body exceeds the route's limit (BODY_LIMIT_BYTES unless the route sets one). */
export function limitBody<E extends AppEnv>(limit: BodyLimit = defaultLimit): MiddlewareHandler<E> {
  // Workers build config per isolate and tests per app, so the limit is known per request only.
  const byLimit = new Map<number, MiddlewareHandler<E>>();
  return async function limitBodyMiddleware(c, next) {
    const maxSize = limit(c.get('deps').config);
    let middleware = byLimit.get(maxSize);
    if (!middleware) {
      middleware = bodyLimit({
        maxSize,
        onError: () => {
          throw payloadTooLarge(maxSize);
        },
      });
      byLimit.set(maxSize, middleware);
    }
    return middleware(c, next);
  };
}
