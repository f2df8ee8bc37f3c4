import { eq, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { users } from '../db/schema.ts';
import type { UserStatus } from '../db/tables/users.ts';
import type { Deps } from '../deps.ts';
import { traced } from '../observability/tracing.ts';
import type { Principal, Role } from './principal.ts';

/** A stored user as authentication needs it: the principal and whether the account may act. */
export type CachedUser = Principal & { status: UserStatus };

/**
 * Recently seen users by id, so a known subject with an unchanged role skips the upsert. It carries
 * the status: whoever changes a user's role, plan or status evicts the entry (`evictUser`, or
 * `principalCache.delete(userId)`); other instances see the change within the TTL.
 */
export type PrincipalCache = LRUCache<string, CachedUser>;

export function createPrincipalCache(options: { max?: number; ttlMs?: number } = {}): PrincipalCache {
  return new LRUCache<string, CachedUser>({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 60_000 });
}

/**
 * Forgets what this instance cached about a user (principal and API keys), so a status, plan or
 * role change, or an erasure, applies to their next request here.
 */
export function evictUser(deps: Pick<Deps, 'principalCache' | 'apiKeyCache'>, userId: string): void {
  deps.principalCache.delete(userId);
  deps.apiKeyCache.deleteUser(userId);
}

/** Resolves a verified token subject to a stored user, creating it on first sight (idempotent upsert). */
export async function resolvePrincipal(
  deps: Pick<Deps, 'db' | 'principalCache' | 'telemetry'>,
  claims: { sub: string; role: Role },
): Promise<CachedUser> {
  const hit = deps.principalCache.get(claims.sub);
  if (hit && hit.role === claims.role) return hit;
  const [row] = await traced(deps, 'auth.principal.upsert', () =>
    deps.db
      .insert(users)
      .values({ id: claims.sub, role: claims.role })
      .onConflictDoUpdate({ target: users.id, set: { role: claims.role, lastSeenAt: sql`now()` } })
      .returning({ plan: users.plan, status: users.status }),
  );
  const user: CachedUser = {
    userId: claims.sub,
    role: claims.role,
    plan: row?.plan ?? 'free',
    status: row?.status ?? 'active',
  };
  deps.principalCache.set(claims.sub, user);
  return user;
}

/** An existing user (an API key's owner) by id, through the cache; undefined once erased. */
export async function findUser(
  deps: Pick<Deps, 'db' | 'principalCache' | 'telemetry'>,
  userId: string,
): Promise<CachedUser | undefined> {
  const hit = deps.principalCache.get(userId);
  if (hit) return hit;
  const [row] = await traced(deps, 'auth.user.get', () =>
    deps.db
      .select({ role: users.role, plan: users.plan, status: users.status })
      .from(users)
      .where(eq(users.id, userId)),
  );
  if (!row) return undefined;
  const user: CachedUser = { userId, ...row };
  deps.principalCache.set(userId, user);
  return user;
}
