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
    // A declared length is checked from the header alone, as hono's bodyLimit does, but without
    // touching `c.req.raw.body`: on Node that turns the request into a WHATWG stream, and the
    // body is then read through it instead of straight from the socket.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > maxSize) throw payloadTooLarge(maxSize);
      return next();
    }
    // A body of unknown length is counted as it is read.
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
