import type { MiddlewareHandler } from 'hono';
import { forbidden, unauthorized } from '../errors.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import type { Role } from './principal.ts';
import { resolvePrincipal } from './resolve-principal.ts';

const bearer = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/**
 * Verifies the bearer JWT, upserts the user and sets `principal` on the context (401 otherwise);
 * with a role, also 403 unless the caller has it.
 */
export function requireAuth(role?: Role): MiddlewareHandler<AuthedEnv> {
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header('Authorization');
    if (!header) throw unauthorized('Send a token in the Authorization header: "Bearer <JWT>".');
    const match = bearer.exec(header.trim());
    if (!match) throw unauthorized('The Authorization header must be "Bearer <JWT>".');
    const deps = c.get('deps');
    const claims = await deps.tokens.verify(match[1]!);
    const principal = await resolvePrincipal(deps, claims);
    if (role && principal.role !== role) throw forbidden(`This operation requires the "${role}" role.`);
    c.set('principal', principal);
    await next();
  };
}
