import { LRUCache } from 'lru-cache';
import type { IdempotencyStore } from '../idempotency/idempotency-store.ts';
import {
  beginRecord,
  completeRecord,
  type IdempotencyRecord,
  releasable,
} from '../idempotency/memory-record-rules.ts';

/**
 * In-process idempotency store for a single Node instance. Operations run synchronously,
 * so one key's begin/complete/release never interleave. Records expire with their TTL and
 * the map is bounded by count and by stored body bytes (least recently used go first).
 */
export function createMemoryIdempotencyStore(
  options: { maxKeys?: number; maxBytes?: number } = {},
): IdempotencyStore {
  const records = new LRUCache<string, IdempotencyRecord>({
    max: options.maxKeys ?? 100_000,
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (record) => 256 + (record.response?.body.byteLength ?? 0),
    ttlAutopurge: false,
  });
  const keep = (key: string, record: IdempotencyRecord, now: number) =>
    records.set(key, record, { ttl: Math.max(record.expiresAt - now, 1) });
  return {
    async begin(request) {
      const { outcome, record } = beginRecord(records.get(request.key), request);
      if (record) keep(request.key, record, request.now);
      return outcome;
    },
    async complete(request) {
      const record = completeRecord(records.get(request.key), request);
      if (record) keep(request.key, record, request.now);
      return record !== undefined;
    },
    async release({ key, lease }) {
      if (releasable(records.get(key), lease)) records.delete(key);
    },
  };
}
