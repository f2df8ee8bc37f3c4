import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';

/** One answered HTTP request, as the request-context middleware measured it (to the response headers). */
export interface HttpRequestSample {
  at: Date;
  method: string;
  /** The matched route's template (`/documents/:id`), never the raw path, so rows stay few. */
  route: string;
  status: number;
  latencyMs: number;
}

/**
 * Upper bounds (ms) of the latency buckets; one more bucket counts everything slower. Fine at the
 * low end, where most API requests land, coarse where only model calls and uploads go.
 */
export const LATENCY_BUCKET_BOUNDS_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
] as const;
const BUCKETS = LATENCY_BUCKET_BOUNDS_MS.length + 1;

// Probes and scrapes arrive every few seconds from infrastructure, not from callers: counting them
// would swamp the request count and the latency percentiles of a quiet deployment.
const UNCOUNTED_ROUTES = new Set(['/health', '/ready', '/metrics']);

/** Whether a request belongs in the stats (API traffic, not probes or scrapes). */
export const isCountedRoute = (route: string): boolean => !UNCOUNTED_ROUTES.has(route);

/** One row of http_request_stats: a minute's requests of one route, method and status. */
export interface HttpRequestStat {
  minute: string;
  method: string;
  route: string;
  status: number;
  requests: number;
  latencyMsSum: number;
  latencyBuckets: number[];
}

const bucketOf = (latencyMs: number): number => {
  const index = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? BUCKETS - 1 : index;
};

const minuteOf = (at: Date): string => {
  const minute = new Date(at);
  minute.setUTCSeconds(0, 0);
  return minute.toISOString();
};

const keyOf = (s: Pick<HttpRequestStat, 'minute' | 'method' | 'route' | 'status'>) =>
  `${s.minute} ${s.method} ${s.status} ${s.route}`;

const emptyRow = (minute: string, method: string, route: string, status: number): HttpRequestStat => ({
  minute,
  method,
  route,
  status,
  requests: 0,
  latencyMsSum: 0,
  latencyBuckets: new Array<number>(BUCKETS).fill(0),
});

/**
 * Folds samples into per-minute rows in memory; `drain` hands them over and starts afresh, and
 * `restore` merges rows whose write failed back in. At most `maxRows` rows are held: through a
 * long database outage, failed rows that no longer fit are dropped.
 */
export function createHttpRequestStatsAccumulator(maxRows = 10_000) {
  let rows = new Map<string, HttpRequestStat>();
  const rowFor = (at: Pick<HttpRequestStat, 'minute' | 'method' | 'route' | 'status'>) => {
    let row = rows.get(keyOf(at));
    if (!row) {
      row = emptyRow(at.minute, at.method, at.route, at.status);
      rows.set(keyOf(at), row);
    }
    return row;
  };
  return {
    add(sample: HttpRequestSample): void {
      const row = rowFor({ ...sample, minute: minuteOf(sample.at) });
      row.requests += 1;
      row.latencyMsSum += sample.latencyMs;
      const bucket = bucketOf(sample.latencyMs);
      row.latencyBuckets[bucket] = (row.latencyBuckets[bucket] ?? 0) + 1;
    },
    restore(failed: readonly HttpRequestStat[]): void {
      for (const stat of failed) {
        if (rows.size >= maxRows && !rows.has(keyOf(stat))) continue;
        const row = rowFor(stat);
        row.requests += stat.requests;
        row.latencyMsSum += stat.latencyMsSum;
        row.latencyBuckets = row.latencyBuckets.map((n, i) => n + (stat.latencyBuckets[i] ?? 0));
      }
    },
    get size(): number {
      return rows.size;
    },
    drain(): HttpRequestStat[] {
      const drained = [...rows.values()];
      rows = new Map();
      return drained;
    },
  };
}

/**
 * Adds rows to http_request_stats in one statement: a row another instance (or an earlier flush)
 * already wrote for the same minute, route, method and status is summed, bucket by bucket.
 */
export async function upsertHttpRequestStats(db: Database, stats: HttpRequestStat[]): Promise<void> {
  if (stats.length === 0) return;
  const rows = JSON.stringify(
    stats.map((s) => ({
      minute: s.minute,
      method: s.method,
      route: s.route,
      status: s.status,
      requests: s.requests,
      latency_ms_sum: s.latencyMsSum,
      latency_buckets: s.latencyBuckets,
    })),
  );
  await db.execute(sql`
    insert into http_request_stats (minute, method, route, status, requests, latency_ms_sum, latency_buckets)
    select minute, method, route, status, requests, latency_ms_sum,
           array(select jsonb_array_elements_text(latency_buckets)::integer)
    from jsonb_to_recordset(${rows}::jsonb) as r(minute timestamptz, method text, route text, status smallint,
      requests integer, latency_ms_sum double precision, latency_buckets jsonb)
    on conflict (minute, method, route, status) do update set
      requests = http_request_stats.requests + excluded.requests,
      latency_ms_sum = http_request_stats.latency_ms_sum + excluded.latency_ms_sum,
      latency_buckets = array(
        select stored + added
        from unnest(http_request_stats.latency_buckets, excluded.latency_buckets) with ordinality as b(stored, added, i)
        order by i
      )`);
}

/**
 * The latency below which a fraction `q` of the requests counted in `buckets` fall, interpolated
 * linearly inside its bucket (as Prometheus's histogram_quantile does); the last bound when it
 * lands in the overflow bucket; null without requests.
 */
export function latencyQuantileMs(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      const upper = LATENCY_BUCKET_BOUNDS_MS[i];
      if (upper === undefined) return LATENCY_BUCKET_BOUNDS_MS.at(-1) ?? null;
      const lower = i === 0 ? 0 : (LATENCY_BUCKET_BOUNDS_MS[i - 1] ?? 0);
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return null;
}
