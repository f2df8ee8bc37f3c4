import { LRUCache } from 'lru-cache';
import { applyHit, decide, type WindowState } from '../rate-limit/rate-limit-windows.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';

/**
 * In-process rate limiter for a single Node instance. Each hit runs synchronously, so hits
 * on one key are serialised by the event loop. Keys expire with their longest window and
 * the map is capped (least recently used keys go first), so memory stays bounded.
 */
export function createMemoryRateLimiter(options: { maxKeys?: number } = {}): RateLimiter {
  const keys = new LRUCache<string, WindowState>({ max: options.maxKeys ?? 100_000, ttlAutopurge: false });
  return {
    async hit({ key, policies, now }) {
      const result = applyHit(keys.get(key), policies, now);
      if (result.allowed) keys.set(key, result.state, { ttl: Math.max(result.expiresAt - now, 1) });
      return decide(policies, result, now);
    },
  };
}
