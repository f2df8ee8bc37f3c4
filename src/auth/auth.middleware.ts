import type { MiddlewareHandler } from 'hono';
import { isDatabaseUnavailable } from '../db/pg-errors.ts';
import { databaseUnavailable, forbidden, unauthorized } from '../errors.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import { assertActive, authenticateApiKey, isApiKey } from './api-keys.ts';
import type { Principal, Role } from './principal.ts';
import { resolvePrincipal } from './resolve-principal.ts';

const bearer = /^Bearer ([\x21-\x7e]+)$/;
const jwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Authenticates the bearer credential, a JWT (its user upserted) or an API key (acting as its
 * owner), and sets `principal` on the context (401 otherwise); 403 for a disabled account, a key
 * outside its scopes, and, with a role, unless the caller has it.
 */
export function requireAuth(role?: Role): MiddlewareHandler<AuthedEnv> {
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header('Authorization');
    if (!header) throw unauthorized('Send a token in the Authorization header: "Bearer <JWT or API key>".');
    const credential = bearer.exec(header.trim())?.[1];
    if (!credential || (!isApiKey(credential) && !jwt.test(credential))) {
      throw unauthorized('The Authorization header must be "Bearer <JWT or API key>".');
    }
    const deps = c.get('deps');
    const authenticate = async (): Promise<Principal> => {
      if (isApiKey(credential)) {
        return authenticateApiKey(deps, { credential, method: c.req.method, path: c.req.path, role });
      }
      const claims = await deps.tokens.verify(credential);
      const user = await resolvePrincipal(deps, claims);
      assertActive(user);
      return { userId: user.userId, role: user.role, plan: user.plan };
    };
    // Every guarded route stores or reads the caller first: an unreachable database is a 503 here,
    // for the routes whose own error handler (/v1) does not classify database errors.
    const principal = await authenticate().catch((error: unknown) => {
      if (!isDatabaseUnavailable(error)) throw error;
      c.get('logger').warn('database unavailable', { err: error });
      throw databaseUnavailable();
    });
    if (role && principal.role !== role) throw forbidden(`This operation requires the "${role}" role.`);
    c.set('principal', principal);
    await next();
  };
}
