import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import { currentWindows, decide, type WindowState, windowStart } from '../rate-limit-windows.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { SWEEP_BATCH, type SweepSchedule } from './sweep-schedule.ts';

export interface PostgresRateLimiter extends RateLimiter {
  /** Deletes up to one batch of buckets whose windows have all ended; returns how many. */
  sweep(now: number): Promise<number>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Rate limiter shared by every instance on one PostgreSQL. One upsert per hit decides and
 * counts atomically: ON CONFLICT locks the key's row, the WHERE clause admits the request
 * only if every policy has room, and the SET counts it in all of them. A turned-away
 * request writes nothing; its counters are read afterwards only to fill the headers.
 */
export function createPostgresRateLimiter(
  db: Database,
  options: { schedule?: SweepSchedule; onSweepError?: (error: unknown) => void } = {},
): PostgresRateLimiter {
  const sweep = async (now: number) =>
    rowsOf(
      await db.execute(sql`
        delete from rate_limit_buckets where key in (
          select key from rate_limit_buckets where expires_at < ${iso(now)}::timestamptz limit ${SWEEP_BATCH}
        ) returning 1`),
    ).length;

  return {
    sweep,
    async hit({ key, policies, now }) {
      if (options.schedule?.due(now)) sweep(now).catch((error) => options.onSweepError?.(error));
      const windows = policies.map((p) => ({ n: p.name, s: windowStart(p, now), l: p.limit }));
      const expiresAt = Math.max(...windows.map((w, i) => w.s + policies[i]!.windowS * 1000));
      const input = JSON.stringify(windows);
      const counted = rowsOf<{ windows: WindowState }>(
        await db.execute(sql`
          with p as (select * from jsonb_to_recordset(${input}::jsonb) as p(n text, s bigint, l int))
          insert into rate_limit_buckets as b (key, windows, expires_at)
          select ${key}, jsonb_object_agg(p.n, jsonb_build_array(p.s, 1)), ${iso(expiresAt)}::timestamptz from p
          on conflict (key) do update set
            windows = (
              select jsonb_object_agg(p.n, case
                when (b.windows -> p.n ->> 0)::bigint >= p.s
                  then jsonb_build_array((b.windows -> p.n ->> 0)::bigint, (b.windows -> p.n ->> 1)::int + 1)
                else jsonb_build_array(p.s, 1) end)
              from p),
            expires_at = greatest(b.expires_at, excluded.expires_at)
          where not exists (
            select 1 from p
            where (b.windows -> p.n ->> 0)::bigint >= p.s and (b.windows -> p.n ->> 1)::int >= p.l)
          returning b.windows`),
      );
      if (counted[0]) {
        return decide(
          policies,
          { allowed: true, windows: currentWindows(counted[0].windows, policies, now) },
          now,
        );
      }
      const stored = rowsOf<{ windows: WindowState }>(
        await db.execute(sql`select windows from rate_limit_buckets where key = ${key}`),
      );
      return decide(
        policies,
        { allowed: false, windows: currentWindows(stored[0]?.windows, policies, now) },
        now,
      );
    },
  };
}
