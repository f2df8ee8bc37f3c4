import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import { idempotencyRecords as records } from '../../db/schema.ts';
import type { IdempotencyStore } from '../idempotency-store.ts';
import { SWEEP_BATCH, type SweepSchedule } from './sweep-schedule.ts';

export interface PostgresIdempotencyStore extends IdempotencyStore {
  /** Deletes up to one batch of expired keys; returns how many. */
  sweep(now: number): Promise<number>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const at = (name: string) => sql`${sql.placeholder(name)}::timestamptz`;

// The row that blocked a claim can vanish before it is read (released, or expired and
// swept): claim again.
const BEGIN_ATTEMPTS = 3;

/**
 * Idempotency store shared by every instance on one PostgreSQL. A claim is a single
 * upsert: the primary key serialises concurrent claims, and ON CONFLICT only takes over a
 * row that has expired or whose holder's lock lapsed. Completion and release are
 * conditional on the lease, so a holder that lost its lock cannot overwrite the new one.
 * Statements are prepared once.
 */
export function createPostgresIdempotencyStore(
  db: Database,
  options: { schedule?: SweepSchedule; onSweepError?: (error: unknown) => void } = {},
): PostgresIdempotencyStore {
  const claim = db
    .insert(records)
    .values({
      key: sql.placeholder('key'),
      fingerprint: sql.placeholder('fingerprint'),
      lease: sql.placeholder('lease'),
      lockedUntil: at('lockedUntil'),
      expiresAt: at('expiresAt'),
    })
    .onConflictDoUpdate({
      target: records.key,
      set: {
        fingerprint: sql`excluded.fingerprint`,
        lease: sql`excluded.lease`,
        lockedUntil: sql`excluded.locked_until`,
        expiresAt: sql`excluded.expires_at`,
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
      },
      setWhere: or(
        lte(records.expiresAt, at('now')),
        and(
          isNull(records.responseStatus),
          lte(records.lockedUntil, at('now')),
          sql`${records.fingerprint} = excluded.fingerprint`,
        ),
      ),
    })
    .returning({ lease: records.lease })
    .prepare('idempotency_claim');
  const existing = db
    .select({
      fingerprint: records.fingerprint,
      status: records.responseStatus,
      headers: records.responseHeaders,
      body: records.responseBody,
    })
    .from(records)
    .where(and(eq(records.key, sql.placeholder('key')), sql`${records.expiresAt} > ${at('now')}`))
    .prepare('idempotency_existing');
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

  const sweep = async (now: number) =>
    rowsOf(
      await db.execute(sql`
        delete from idempotency_records where key in (
          select key from idempotency_records where expires_at < ${iso(now)}::timestamptz limit ${SWEEP_BATCH}
        ) returning 1`),
    ).length;

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
        if ((await claim.execute(values)).length > 0) return { kind: 'acquired' };
        const [row] = await existing.execute({ key, now: values.now });
        if (!row) continue;
        if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
        if (row.status === null) return { kind: 'in-flight' };
        return {
          kind: 'replay',
          response: {
            status: row.status,
            headers: (row.headers ?? []) as [string, string][],
            body: new Uint8Array(row.body ?? new Uint8Array()),
          },
        };
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
