import { and, eq, gt, isNull, or } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { assertActive, authenticateApiKey, hashApiKey, isApiKey } from '../../auth/api-keys.ts';
import type { Principal } from '../../auth/principal.ts';
import { findUser, resolvePrincipal } from '../../auth/resolve-principal.ts';
import { apiKeys } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { forbidden, unauthorized } from '../../errors.ts';

/** Who signed in, and until when their credential itself is valid. */
export interface SignedInAdmin {
  userId: string;
  keyId: string | null;
  /** The JWT's or API key's own expiry, if any: a session never outlives its credential. */
  expiresAt: Date | null;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const notAdmin = () => forbidden('The dashboard requires the "admin" role.');

/**
 * Checks a credential pasted into the sign-in form exactly as bearer authentication would (a JWT
 * verified and its user stored, or an API key with the `admin` scope), then requires the admin role.
 */
export async function signInAdmin(deps: Deps, credential: string): Promise<SignedInAdmin> {
  if (isApiKey(credential)) {
    const principal = await authenticateApiKey(deps, {
      credential,
      method: 'GET',
      path: '/admin/overview',
      role: 'admin',
    });
    if (principal.role !== 'admin') throw notAdmin();
    const [key] = await deps.db
      .select({ id: apiKeys.id, expiresAt: apiKeys.expiresAt })
      .from(apiKeys)
      .where(eq(apiKeys.hash, await hashApiKey(credential)));
    if (!key) throw unauthorized('The API key is unknown or has been revoked.');
    return { userId: principal.userId, keyId: key.id, expiresAt: key.expiresAt };
  }
  if (!JWT.test(credential)) throw unauthorized('Paste an admin JWT or API key.');
  const claims = await deps.tokens.verify(credential);
  const user = await resolvePrincipal(deps, claims);
  assertActive(user);
  if (user.role !== 'admin') throw notAdmin();
  const { exp } = decodeJwt(credential);
  return {
    userId: user.userId,
    keyId: null,
    expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : null,
  };
}

/**
 * The admin a session belongs to, checked again on every request: still stored, active and an
 * admin, and, when signed in with an API key, that key neither revoked nor expired.
 */
export async function sessionAdmin(
  deps: Deps,
  session: { sub: string; keyId: string | null },
): Promise<Principal> {
  const user = await findUser(deps, session.sub);
  if (!user) throw unauthorized('The account behind this session no longer exists.');
  assertActive(user);
  if (user.role !== 'admin') throw notAdmin();
  if (session.keyId !== null) {
    const [key] = await deps.db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.id, session.keyId),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, deps.now())),
        ),
      );
    if (!key) throw unauthorized('The API key this session signed in with was revoked or has expired.');
  }
  return { userId: user.userId, role: user.role, plan: user.plan };
}
