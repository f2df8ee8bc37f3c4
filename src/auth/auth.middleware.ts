import type { MiddlewareHandler } from 'hono';
import { forbidden, unauthorized } from '../errors.ts';
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
    let principal: Principal;
    if (isApiKey(credential)) {
      principal = await authenticateApiKey(deps, {
        credential,
        method: c.req.method,
        path: c.req.path,
        role,
      });
    } else {
      const user = await resolvePrincipal(deps, await deps.tokens.verify(credential));
      assertActive(user);
      principal = { userId: user.userId, role: user.role, plan: user.plan };
    }
    if (role && principal.role !== role) throw forbidden(`This operation requires the "${role}" role.`);
    c.set('principal', principal);
    await next();
  };
}
