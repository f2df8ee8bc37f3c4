import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';

/**
 * Decides when a backend deletes its expired rows: at most once per interval per process,
 * piggybacked on ordinary calls so no timer outlives a request (Workers allow none).
 */
export interface SweepSchedule {
  due(now: number): boolean;
}

export function createSweepSchedule(intervalMs = 60_000): SweepSchedule {
  let next: number | undefined;
  return {
    due(now) {
      if (next === undefined) next = now + intervalMs;
      if (now < next) return false;
      next = now + intervalMs;
      return true;
    },
  };
}

/** How many expired rows one sweep deletes at most, so a sweep never holds locks for long. */
const SWEEP_BATCH = 1000;

export const iso = (ms: number) => new Date(ms).toISOString();

/** Deletes up to SWEEP_BATCH expired rows of a guard table; returns how many went. */
export async function sweepExpired(
  db: Database,
  table: 'idempotency_records' | 'rate_limit_buckets',
  now: number,
): Promise<number> {
  const name = sql.identifier(table);
  return rowsOf(
    await db.execute(sql`
      delete from ${name} where key in (
        select key from ${name} where expires_at < ${iso(now)}::timestamptz limit ${SWEEP_BATCH}
      ) returning 1`),
  ).length;
}
