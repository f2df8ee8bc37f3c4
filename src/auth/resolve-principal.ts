import { sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.ts';
import { users } from '../db/schema.ts';
import type { Principal, Role } from './principal.ts';

/** Recently seen principals, so a known subject with an unchanged role skips the upsert. */
export type PrincipalCache = LRUCache<string, Principal>;

export function createPrincipalCache(options: { max?: number; ttlMs?: number } = {}): PrincipalCache {
  return new LRUCache<string, Principal>({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 60_000 });
}

/** Resolves a verified token subject to a stored user, creating it on first sight (idempotent upsert). */
export async function resolvePrincipal(
  deps: { db: Database; principalCache: PrincipalCache },
  claims: { sub: string; role: Role },
): Promise<Principal> {
  const hit = deps.principalCache.get(claims.sub);
  if (hit && hit.role === claims.role) return hit;
  const [row] = await deps.db
    .insert(users)
    .values({ id: claims.sub, role: claims.role })
    .onConflictDoUpdate({ target: users.id, set: { role: claims.role, lastSeenAt: sql`now()` } })
    .returning({ plan: users.plan });
  const principal: Principal = { userId: claims.sub, role: claims.role, plan: row?.plan ?? 'free' };
  deps.principalCache.set(claims.sub, principal);
  return principal;
}
