import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { idempotencyRecords as records } from '../../db/schema.ts';
import type { IdempotencyStore } from '../idempotency/idempotency-store.ts';
import { beginRecord } from '../idempotency/memory-record-rules.ts';
import { iso, type SweepSchedule, sweepExpired } from './sweep-schedule.ts';

export interface PostgresIdempotencyStore extends IdempotencyStore {
  /** Deletes up to one batch of expired keys; returns how many. */
  sweep(now: number): Promise<number>;
}

const at = (name: string) => sql`${sql.placeholder(name)}::timestamptz`;

// Between the insert and the read the row can vanish (released, swept), and a take-over can
// lose to another: claim again.
const BEGIN_ATTEMPTS = 3;

/**
 * Idempotency store shared by every instance on one PostgreSQL. The primary key
 * serialises concurrent claims (INSERT ... ON CONFLICT DO NOTHING); an existing row is read
 * and judged by the same rules as the other backends (idempotency-records.ts), and taken
 * over only by a conditional UPDATE. Completion and release are conditional on the lease,
 * so a holder that lost its lock cannot overwrite the new one. Statements are prepared once.
 */
export function createPostgresIdempotencyStore(
  db: Database,
  options: { schedule?: SweepSchedule; onSweepError?: (error: unknown) => void } = {},
): PostgresIdempotencyStore {
  // Without a conflict this is the claim; with one it neither writes nor locks, so replays
  // and 409s cost a read and no commit flush.
  const insert = db
    .insert(records)
    .values({
      key: sql.placeholder('key'),
      fingerprint: sql.placeholder('fingerprint'),
      lease: sql.placeholder('lease'),
      lockedUntil: at('lockedUntil'),
      expiresAt: at('expiresAt'),
    })
    .onConflictDoNothing({ target: records.key })
    .returning({ lease: records.lease })
    .prepare('idempotency_insert');
  const read = db
    .select({
      fingerprint: records.fingerprint,
      lease: records.lease,
      lockedUntil: records.lockedUntil,
      expiresAt: records.expiresAt,
      status: records.responseStatus,
      headers: records.responseHeaders,
      body: records.responseBody,
    })
    .from(records)
    .where(eq(records.key, sql.placeholder('key')))
    .prepare('idempotency_read');
  // Takes over an expired key or one whose holder's lock lapsed; the conditions are checked
  // again under the row lock, so of two racing take-overs only one wins.
  const takeOver = db
    .update(records)
    .set({
      fingerprint: sql`${sql.placeholder('fingerprint')}`,
      lease: sql`${sql.placeholder('lease')}`,
      lockedUntil: at('lockedUntil'),
      expiresAt: at('expiresAt'),
      responseStatus: null,
      responseHeaders: null,
      responseBody: null,
    })
    .where(
      and(
        eq(records.key, sql.placeholder('key')),
        or(
          lte(records.expiresAt, at('now')),
          and(
            isNull(records.responseStatus),
            lte(records.lockedUntil, at('now')),
            eq(records.fingerprint, sql.placeholder('fingerprint')),
          ),
        ),
      ),
    )
    .returning({ lease: records.lease })
    .prepare('idempotency_take_over');
  const complete = db
    .update(records)
    .set({
      responseStatus: sql`${sql.placeholder('status')}::int`,
      responseHeaders: sql`${sql.placeholder('headers')}::jsonb`,
      responseBody: sql`${sql.placeholder('body')}::bytea`,
      expiresAt: at('expiresAt'),
    })
    .where(
      and(
        eq(records.key, sql.placeholder('key')),
        eq(records.lease, sql.placeholder('lease')),
        isNull(records.responseStatus),
      ),
    )
    .returning({ key: records.key })
    .prepare('idempotency_complete');
  const release = db
    .delete(records)
    .where(
      and(
        eq(records.key, sql.placeholder('key')),
        eq(records.lease, sql.placeholder('lease')),
        isNull(records.responseStatus),
      ),
    )
    .prepare('idempotency_release');

  const sweep = (now: number) => sweepExpired(db, 'idempotency_records', now);

  return {
    sweep,
    async begin(request) {
      const { key, fingerprint, lease, now } = request;
      if (options.schedule?.due(now)) sweep(now).catch((error) => options.onSweepError?.(error));
      const values = {
        key,
        fingerprint,
        lease,
        now: iso(now),
        lockedUntil: iso(now + request.lockTtlS * 1000),
        expiresAt: iso(now + Math.max(request.ttlS, request.lockTtlS) * 1000),
      };
      for (let attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++) {
        if ((await insert.execute(values)).length > 0) return { kind: 'acquired' };
        const [row] = await read.execute({ key });
        if (!row) continue;
        const { outcome } = beginRecord(
          {
            fingerprint: row.fingerprint,
            lease: row.lease,
            lockedUntil: row.lockedUntil.getTime(),
            expiresAt: row.expiresAt.getTime(),
            response:
              row.status === null
                ? undefined
                : {
                    status: row.status,
                    headers: (row.headers ?? []) as [string, string][],
                    body: new Uint8Array(row.body ?? new Uint8Array()),
                  },
          },
          request,
        );
        if (outcome.kind !== 'acquired') return outcome;
        if ((await takeOver.execute(values)).length > 0) return outcome;
      }
      return { kind: 'in-flight' };
    },

    async complete({ key, lease, response, now, ttlS }) {
      const updated = await complete.execute({
        key,
        lease,
        status: response.status,
        headers: JSON.stringify(response.headers),
        body: response.body,
        expiresAt: iso(now + ttlS * 1000),
      });
      return updated.length > 0;
    },

    async release({ key, lease }) {
      await release.execute({ key, lease });
    },
  };
}
