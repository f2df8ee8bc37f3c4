import type { MiddlewareHandler } from 'hono';
import { forbidden, unauthorized } from '../errors.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { Role } from './principal.ts';
import { resolvePrincipal } from './resolve-principal.ts';

export type { Principal } from './principal.ts';

const bearer = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** Verifies the bearer JWT, upserts the user and sets `principal` on the context; 401 otherwise. */
export function requireAuth(): MiddlewareHandler<AppEnv> {
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header('Authorization');
    if (!header) throw unauthorized('Send a token in the Authorization header: "Bearer <JWT>".');
    const match = bearer.exec(header.trim());
    if (!match) throw unauthorized('The Authorization header must be "Bearer <JWT>".');
    const deps = c.get('deps');
    const claims = await deps.tokens.verify(match[1]!);
    c.set('principal', await resolvePrincipal(deps, claims));
    await next();
  };
}

/** 403 unless the authenticated caller has the given role; use after requireAuth. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const principal = c.get('principal');
    if (!principal) throw unauthorized('Authentication is required.');
    if (principal.role !== role) throw forbidden(`This operation requires the "${role}" role.`);
    await next();
  };
}

/** Spread into createRoute(): documents the bearer scheme and enforces it (and a role, if given). */
export function authenticated(role?: Role) {
  return {
    security: [{ bearerAuth: [] }],
    middleware: role ? [requireAuth(), requireRole(role)] : [requireAuth()],
  };
}
