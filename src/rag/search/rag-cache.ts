import { LRUCache } from 'lru-cache';

/** A bounded, expiring map; the disabled variant (RAG_CACHE_ENTRIES=0) never hits. */
interface KeyedCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
}

/** In-process caches of RAG search: query embeddings and result pages, keyed by index version. */
export interface RagCache {
  embeddings: KeyedCache<number[]>;
  pages: KeyedCache<unknown>;
}

function keyedCache<V extends object>(entries: number, ttlMs: number): KeyedCache<V> {
  if (entries === 0) return { get: () => undefined, set: () => {} };
  const lru = new LRUCache<string, V>({ max: entries, ttl: ttlMs });
  return { get: (key) => lru.get(key), set: (key, value) => lru.set(key, value) };
}

export function createRagCache(options: { entries: number; ttlMs: number }): RagCache {
  return {
    embeddings: keyedCache<number[]>(options.entries, options.ttlMs),
    pages: keyedCache<object>(options.entries, options.ttlMs),
  };
}
