import type { MiddlewareHandler } from 'hono';
import { requireAuth } from '../auth/auth.middleware.ts';
import type { Role } from '../auth/principal.ts';
import { enforceQuota } from '../billing/quotas/quota.middleware.ts';
import type { QuotaDemand } from '../billing/quotas/quota-demands.ts';
import { enforceStorageQuota } from '../billing/quotas/storage-quota.middleware.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import { type BodyLimit, limitBody } from '../http/body-limit.middleware.ts';
import { type GuardDocs, guardDocs } from '../http/openapi.ts';
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
  /**
   * The plan's usage quotas: a model-class route's estimate (`quotaDemands` in
   * src/billing/quotas/quota-demands.ts), reserved before the work and settled after, or
   * `storage` for uploads (documents and stored bytes).
   */
  quota?: QuotaDemand | 'storage';
}

function quotaGuard(quota: GuardOptions['quota']): Guard {
  if (quota === undefined) return passThrough;
  return quota === 'storage' ? enforceStorageQuota() : enforceQuota(quota);
}

/**
 * Spread into createRoute(): the body limit, bearer auth (and role), the caller's in-flight limit,
 * the route class's rate limit, idempotency, then the usage quotas, in that order
 * (docs/conventions.md). Quotas come last so that a request refused earlier, or answered from
 * the idempotency store, reserves nothing.
 */
export function guarded(options: GuardOptions) {
  // A fixed-length tuple typed for AuthedEnv: the route's handler then reads `principal` as set.
  const middleware: [Guard, Guard, Guard, Guard, Guard, Guard] = [
    limitBody(options.bodyLimit),
    requireAuth(options.role),
    // The caller's requests in progress (MAX_INFLIGHT_PER_USER), streams until they end.
    inflightLimit(),
    rateLimit(options.routeClass),
    options.idempotent ? idempotency() : passThrough,
    quotaGuard(options.quota),
  ];
  // What the OpenAPI document derives the guards' headers, parameters and answers from (src/http/openapi.ts).
  const docs: GuardDocs = {
    role: options.role,
    idempotent: options.idempotent === true,
    quota: options.quota === undefined ? undefined : options.quota === 'storage' ? 'storage' : 'usage',
    ownBodyLimit: options.bodyLimit !== undefined,
  };
  return {
    security: [{ bearerAuth: [] }],
    ...(options.role ? { 'x-cairn-role': options.role } : {}),
    ...(options.idempotent ? { 'x-cairn-idempotent': true } : {}),
    middleware,
    [guardDocs]: docs,
  };
}
