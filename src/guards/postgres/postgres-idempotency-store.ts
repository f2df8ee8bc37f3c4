import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import type { BeginOutcome, IdempotencyStore, StoredResponse } from '../idempotency-store.ts';
import { SWEEP_BATCH, type SweepSchedule } from './sweep-schedule.ts';

export interface PostgresIdempotencyStore extends IdempotencyStore {
  /** Deletes up to one batch of expired keys; returns how many. */
  sweep(now: number): Promise<number>;
}

interface ExistingRow {
  claimed: boolean;
  fingerprint: string | null;
  response_status: number | null;
  response_headers: [string, string][] | null;
  response_body: Uint8Array | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

// A conflicting row can vanish or appear between the claim and the read of the row that
// blocked it (released, or claimed by a request whose snapshot we do not see): try again.
const BEGIN_ATTEMPTS = 3;

/**
 * Idempotency store shared by every instance on one PostgreSQL. A claim is a single
 * upsert: the primary key serialises concurrent claims, and ON CONFLICT only takes over a
 * row that has expired or whose holder's lock lapsed. Completion and release are
 * conditional on the lease, so a holder that lost its lock cannot overwrite the new one.
 */
export function createPostgresIdempotencyStore(
  db: Database,
  options: { schedule?: SweepSchedule; onSweepError?: (error: unknown) => void } = {},
): PostgresIdempotencyStore {
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
      const lockedUntil = iso(now + request.lockTtlS * 1000);
      const expiresAt = iso(now + Math.max(request.ttlS, request.lockTtlS) * 1000);
      for (let attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++) {
        const [row] = rowsOf<ExistingRow>(
          await db.execute(sql`
            with claimed as (
              insert into idempotency_records as r (key, fingerprint, lease, locked_until, expires_at)
              values (${key}, ${fingerprint}, ${lease}, ${lockedUntil}::timestamptz, ${expiresAt}::timestamptz)
              on conflict (key) do update set
                fingerprint = excluded.fingerprint, lease = excluded.lease,
                locked_until = excluded.locked_until, expires_at = excluded.expires_at,
                response_status = null, response_headers = null, response_body = null
              where r.expires_at <= ${iso(now)}::timestamptz
                 or (r.response_status is null and r.locked_until <= ${iso(now)}::timestamptz
                     and r.fingerprint = excluded.fingerprint)
              returning 1
            )
            select true as claimed, null as fingerprint, null::int as response_status,
                   null::jsonb as response_headers, null::bytea as response_body
            from claimed
            union all
            select false, fingerprint, response_status, response_headers, response_body
            from idempotency_records
            where key = ${key} and expires_at > ${iso(now)}::timestamptz and not exists (select 1 from claimed)`),
        );
        if (row) return outcomeOf(row, fingerprint);
      }
      return { kind: 'in-flight' };
    },

    async complete({ key, lease, response, now, ttlS }) {
      const updated = rowsOf(
        await db.execute(sql`
          update idempotency_records set
            response_status = ${response.status},
            response_headers = ${JSON.stringify(response.headers)}::jsonb,
            response_body = ${response.body}::bytea,
            expires_at = ${iso(now + ttlS * 1000)}::timestamptz
          where key = ${key} and lease = ${lease} and response_status is null
          returning 1`),
      );
      return updated.length > 0;
    },

    async release({ key, lease }) {
      await db.execute(
        sql`delete from idempotency_records where key = ${key} and lease = ${lease} and response_status is null`,
      );
    },
  };
}

function outcomeOf(row: ExistingRow, fingerprint: string): BeginOutcome {
  if (row.claimed) return { kind: 'acquired' };
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (row.response_status === null) return { kind: 'in-flight' };
  const response: StoredResponse = {
    status: row.response_status,
    headers: row.response_headers ?? [],
    body: new Uint8Array(row.response_body ?? new Uint8Array()),
  };
  return { kind: 'replay', response };
}
