import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rateLimitBuckets } from '../../db/schema.ts';
import { currentWindows, decide, type WindowState, windowStart } from '../rate-limit/rate-limit-windows.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import { iso, type SweepSchedule, sweepExpired } from './sweep-schedule.ts';

export interface PostgresRateLimiter extends RateLimiter {
  /** Deletes up to one batch of buckets whose windows have all ended; returns how many. */
  sweep(now: number): Promise<number>;
}

// The request's policies as rows: name, current window start (epoch ms), limit.
const policyRows = sql`jsonb_to_recordset(${sql.placeholder('policies')}::jsonb) as p(n text, s bigint, l int)`;
const storedStart = sql`(rate_limit_buckets.windows -> p.n ->> 0)::bigint`;
const storedCount = sql`(rate_limit_buckets.windows -> p.n ->> 1)::int`;

/**
 * Rate limiter shared by every instance on one PostgreSQL. One upsert per hit decides and
 * counts atomically: ON CONFLICT locks the key's row, the WHERE clause admits the request
 * only if every policy has room, and the SET counts it in all of them (a stored window
 * newer than this instance's clock is kept). A turned-away request writes nothing; its
 * counters are read afterwards only to fill the headers. Statements are prepared once.
 */
export function createPostgresRateLimiter(
  db: Database,
  options: { schedule?: SweepSchedule; onSweepError?: (error: unknown) => void } = {},
): PostgresRateLimiter {
  const count = db
    .insert(rateLimitBuckets)
    .values({
      key: sql.placeholder('key'),
      windows: sql`${sql.placeholder('fresh')}::jsonb`,
      expiresAt: sql`${sql.placeholder('expiresAt')}::timestamptz`,
    })
    .onConflictDoUpdate({
      target: rateLimitBuckets.key,
      set: {
        windows: sql`(select jsonb_object_agg(p.n, case when ${storedStart} >= p.s
          then jsonb_build_array(${storedStart}, ${storedCount} + 1) else jsonb_build_array(p.s, 1) end)
          from ${policyRows})`,
        expiresAt: sql`greatest(rate_limit_buckets.expires_at, excluded.expires_at)`,
      },
      setWhere: sql`not exists (select 1 from ${policyRows} where ${storedStart} >= p.s and ${storedCount} >= p.l)`,
    })
    .returning({ windows: rateLimitBuckets.windows })
    .prepare('rate_limit_count');
  const read = db
    .select({ windows: rateLimitBuckets.windows })
    .from(rateLimitBuckets)
    .where(eq(rateLimitBuckets.key, sql.placeholder('key')))
    .prepare('rate_limit_read');

  const sweep = (now: number) => sweepExpired(db, 'rate_limit_buckets', now);

  return {
    sweep,
    async hit({ key, policies, now }) {
      if (options.schedule?.due(now)) sweep(now).catch((error) => options.onSweepError?.(error));
      const starts = policies.map((p) => windowStart(p, now));
      const fresh: WindowState = {};
      policies.forEach((p, i) => {
        fresh[p.name] = [starts[i]!, 1];
      });
      const [counted] = await count.execute({
        key,
        fresh: JSON.stringify(fresh),
        policies: JSON.stringify(policies.map((p, i) => ({ n: p.name, s: starts[i], l: p.limit }))),
        expiresAt: iso(Math.max(...policies.map((p, i) => starts[i]! + p.windowS * 1000))),
      });
      if (counted) {
        const windows = currentWindows(counted.windows as WindowState, policies, now);
        return decide(policies, { allowed: true, windows }, now);
      }
      const [stored] = await read.execute({ key });
      const windows = currentWindows(stored?.windows as WindowState | undefined, policies, now);
      return decide(policies, { allowed: false, windows }, now);
    },
  };
}
