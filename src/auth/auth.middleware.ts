import type { MiddlewareHandler } from 'hono';
import { isDatabaseUnavailable } from '../db/pg-errors.ts';
import { databaseUnavailable, forbidden, unauthorized } from '../errors.ts';
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
    // Every guarded route stores the caller first: an unreachable database is a 503 here, for the
    // routes whose own error handler (/v1) does not classify database errors.
    const principal = await resolvePrincipal(deps, claims).catch((error: unknown) => {
      if (!isDatabaseUnavailable(error)) throw error;
      c.get('logger').warn('database unavailable', { err: error });
      throw databaseUnavailable();
    });
    if (role && principal.role !== role) throw forbidden(`This operation requires the "${role}" role.`);
    c.set('principal', principal);
    await next();
  };
}
