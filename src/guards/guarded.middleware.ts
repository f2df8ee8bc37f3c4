import type { MiddlewareHandler } from 'hono';
import { requireAuth } from '../auth/auth.middleware.ts';
import type { Role } from '../auth/principal.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import { type BodyLimit, limitBody } from '../http/body-limit.middleware.ts';
import { idempotency } from './idempotency/idempotency.middleware.ts';
import { inflightLimit } from './inflight/inflight.middleware.ts';
import { rateLimit } from './rate-limit/rate-limit.middleware.ts';
import type { RouteClass } from './rate-limit/rate-limit-policies.ts';

type Guard = MiddlewareHandler<AuthedEnv>;
const passThrough: Guard = (_c, next) => next();

interface GuardOptions {
  routeClass: RouteClass;
  /** Honour Idempotency-Key (POST routes that do work). */
  idempotent?: boolean;
  role?: Role;
  /** For a route that accepts bodies larger than BODY_LIMIT_BYTES (document uploads). */
  bodyLimit?: BodyLimit;
}

/**
 * Spread into createRoute(): the body limit, bearer auth (and role), the caller's in-flight limit,
 * the route class's rate limit, then idempotency, in that order (docs/conventions.md).
 */
export function guarded(options: GuardOptions) {
  // A fixed-length tuple typed for AuthedEnv: the route's handler then reads `principal` as set.
  const middleware: [Guard, Guard, Guard, Guard, Guard] = [
    limitBody(options.bodyLimit),
    requireAuth(options.role),
    // The caller's requests in progress (MAX_INFLIGHT_PER_USER), streams until they end.
    inflightLimit(),
    rateLimit(options.routeClass),
    options.idempotent ? idempotency() : passThrough,
  ];
  return { security: [{ bearerAuth: [] }], middleware };
}
