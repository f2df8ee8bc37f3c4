import type { BeginOutcome, BeginRequest, CompleteRequest, StoredResponse } from './idempotency-store.ts';

/** One key's state, as the in-process and Durable Object backends keep it. */
export interface IdempotencyRecord {
  fingerprint: string;
  lease: string;
  lockedUntil: number;
  expiresAt: number;
  response?: StoredResponse;
}

/**
 * The begin rules for backends that hold a record in memory: an absent or expired key is
 * claimed; another body is a mismatch; a stored response is replayed; a running holder
 * blocks until its lock lapses (a crashed holder must not block the key forever).
 */
export function beginRecord(
  record: IdempotencyRecord | undefined,
  request: BeginRequest,
): { outcome: BeginOutcome; record?: IdempotencyRecord } {
  const { now } = request;
  const claim = () => ({
    outcome: { kind: 'acquired' } as const,
    record: {
      fingerprint: request.fingerprint,
      lease: request.lease,
      lockedUntil: now + request.lockTtlS * 1000,
      expiresAt: now + Math.max(request.ttlS, request.lockTtlS) * 1000,
    },
  });
  if (!record || record.expiresAt <= now) return claim();
  if (record.fingerprint !== request.fingerprint) return { outcome: { kind: 'mismatch' } };
  if (record.response) return { outcome: { kind: 'replay', response: record.response } };
  if (record.lockedUntil > now) return { outcome: { kind: 'in-flight' } };
  return claim();
}

/** The completed record, or undefined when `lease` no longer holds the key. */
export function completeRecord(
  record: IdempotencyRecord | undefined,
  request: CompleteRequest,
): IdempotencyRecord | undefined {
  if (!record || record.lease !== request.lease || record.response) return undefined;
  return { ...record, response: request.response, expiresAt: request.now + request.ttlS * 1000 };
}

/** Whether `lease` holds a still-running record that may be released. */
export function releasable(record: IdempotencyRecord | undefined, lease: string): boolean {
  return record !== undefined && record.lease === lease && record.response === undefined;
}
