import { requireAuth, requireRole } from '../auth/auth.middleware.ts';
import type { Role } from '../auth/principal.ts';
import { idempotency } from './idempotency/idempotency.middleware.ts';
import { rateLimit } from './rate-limit/rate-limit.middleware.ts';
import type { RouteClass } from './rate-limit/rate-limit-policies.ts';

export type { RouteClass } from './rate-limit/rate-limit-policies.ts';

export interface GuardOptions {
  routeClass: RouteClass;
  /** Honour Idempotency-Key (POST routes that do work). */
  idempotent?: boolean;
  role?: Role;
}

/**
 * Spread into createRoute(): bearer auth (and role), then the route class's rate limit,
 * then idempotency, in that order (DESIGN.md §2).
 */
export function guarded(options: GuardOptions) {
  return {
    security: [{ bearerAuth: [] }],
    middleware: [
      requireAuth(),
      ...(options.role ? [requireRole(options.role)] : []),
      rateLimit(options.routeClass),
      ...(options.idempotent ? [idempotency()] : []),
    ],
  };
}
