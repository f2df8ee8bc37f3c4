import { LRUCache } from 'lru-cache';
import type { ApiKeyScope } from './api-key-scopes.ts';

/** What authentication needs of a live (unrevoked) key. */
export interface ApiKeyRecord {
  id: string;
  userId: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

/** A lookup by hash: the key, or that no live key has this hash (cached too, so floods stay cheap). */
export type ApiKeyLookup = { found: true; key: ApiKeyRecord } | { found: false };

/** The least time between two writes of a key's `last_used_at` from one instance. */
const LAST_USE_INTERVAL_MS = 60_000;

/**
 * API keys by hash, trusted for API_KEY_CACHE_TTL_S so a request costs no query: a key revoked on
 * this instance is evicted at once, one revoked on another stops here within the TTL (0: no cache).
 */
export interface ApiKeyCache {
  get(hash: string): ApiKeyLookup | undefined;
  set(hash: string, lookup: ApiKeyLookup): void;
  /** Forgets one key (revoked here). */
  deleteHash(hash: string): void;
  /** Forgets every key of a user (erased, disabled). */
  deleteUser(userId: string): void;
  /** True at most once per LAST_USE_INTERVAL_MS per key: whether this use should be written. */
  claimLastUseWrite(keyId: string): boolean;
}

export function createApiKeyCache(options: { ttlMs: number; max?: number }): ApiKeyCache {
  const max = options.max ?? 10_000;
  const keys =
    options.ttlMs > 0 ? new LRUCache<string, ApiKeyLookup>({ max, ttl: options.ttlMs }) : undefined;
  const lastUse = new LRUCache<string, true>({ max, ttl: LAST_USE_INTERVAL_MS });
  return {
    get: (hash) => keys?.get(hash),
    set: (hash, lookup) => {
      keys?.set(hash, lookup);
    },
    deleteHash: (hash) => {
      keys?.delete(hash);
    },
    deleteUser: (userId) => {
      if (!keys) return;
      // Rare (erasure, disabling) and bounded by `max`: a scan beats a second index to keep in step.
      for (const [hash, lookup] of keys.entries()) {
        if (lookup.found && lookup.key.userId === userId) keys.delete(hash);
      }
    },
    claimLastUseWrite: (keyId) => {
      if (lastUse.has(keyId)) return false;
      lastUse.set(keyId, true);
      return true;
    },
  };
}
