import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import { LATENCY_BUCKET_BOUNDS_MS, latencyQuantileMs } from '../../usage/http-request-stats.ts';

/**
 * What the stored data says about model calls over a span: usage_events holds one row per model
 * call (after its retries), so latency is model-call latency and errors are failed model calls.
 * HTTP requests without a model call are not stored anywhere, so they are not counted here.
 */
export interface ModelCallFigures {
  /** Distinct API requests that called a model (server-assigned ids; jobs' calls count by their own id). */
  requests: number;
  calls: number;
  /** Calls that ended in an error (status other than `ok` and `cancelled`). */
  failedCalls: number;
  /** failedCalls / calls; null without calls. */
  errorRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/**
 * What http_request_stats says about API requests over a span (probes and scrapes not counted):
 * every answered request, with or without a model call. Latency runs to the response headers and
 * its percentiles are estimated from the stored latency buckets.
 */
export interface HttpRequestFigures {
  requests: number;
  /** Answers with a 5xx status. */
  serverErrors: number;
  /** Answers with a 4xx status (refusals, bad input, limits). */
  clientErrors: number;
  /** serverErrors / requests; null without requests. */
  errorRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface Overview {
  generatedAt: Date;
  /** Whole UTC days, the last one today. */
  from: string;
  to: string;
  /** Users by users.last_seen_at, relative to generatedAt. */
  activeUsers: { day: number; week: number; month: number };
  totals: ModelCallFigures;
  /** One entry per day of the window, days without calls included (zeros, null rates). */
  daily: (ModelCallFigures & { day: string })[];
  /** HTTP requests, in total and per day (same days as `daily`). */
  http: { totals: HttpRequestFigures; daily: (HttpRequestFigures & { day: string })[] };
  queue: QueueCounts;
}

interface FigureRow {
  day: string | null;
  requests: string | number;
  calls: string | number;
  failed_calls: string | number;
  p50: string | number | null;
  p95: string | number | null;
  tokens_in: string | number | null;
  tokens_out: string | number | null;
  cost_usd: string | number | null;
}

const DAY_MS = 86_400_000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const orNull = (value: string | number | null) => (value === null ? null : Number(value));

const toFigures = (row: FigureRow | undefined): ModelCallFigures => {
  const calls = Number(row?.calls ?? 0);
  const failedCalls = Number(row?.failed_calls ?? 0);
  return {
    requests: Number(row?.requests ?? 0),
    calls,
    failedCalls,
    errorRate: calls === 0 ? null : failedCalls / calls,
    latencyP50Ms: orNull(row?.p50 ?? null),
    latencyP95Ms: orNull(row?.p95 ?? null),
    tokensIn: Number(row?.tokens_in ?? 0),
    tokensOut: Number(row?.tokens_out ?? 0),
    costUsd: Number(row?.cost_usd ?? 0),
  };
};

/**
 * The admin overview over the last `days` whole UTC days: active users, and model-call requests,
 * failures, latency percentiles, tokens and cost, in total and per day, plus the queue right now.
 * Percentiles are computed over the calls themselves (per day and for the window), never averaged.
 */
export async function getOverview(
  deps: { db: Database; now: () => Date },
  input: { days: number },
): Promise<Overview> {
  const now = deps.now();
  const to = isoDay(now);
  const from = isoDay(new Date(Date.parse(to) - (input.days - 1) * DAY_MS));
  const [figures, users, queue, http] = await Promise.all([
    deps.db.execute(sql`
      select (created_at at time zone 'UTC')::date::text as day,
             count(distinct coalesce(server_request_id::text, request_id)) as requests,
             count(*) as calls,
             count(*) filter (where status not in ('ok', 'cancelled')) as failed_calls,
             percentile_cont(0.5) within group (order by latency_ms) as p50,
             percentile_cont(0.95) within group (order by latency_ms) as p95,
             sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out, sum(cost_usd) as cost_usd
      from usage_events
      where created_at >= ${`${from}T00:00:00Z`}::timestamptz
        and created_at < ${`${to}T00:00:00Z`}::timestamptz + interval '1 day'
      group by grouping sets (((created_at at time zone 'UTC')::date), ())
    `),
    deps.db.execute(sql`
      select count(*) filter (where last_seen_at > ${now.toISOString()}::timestamptz - interval '1 day') as day,
             count(*) filter (where last_seen_at > ${now.toISOString()}::timestamptz - interval '7 days') as week,
             count(*) filter (where last_seen_at > ${now.toISOString()}::timestamptz - interval '30 days') as month
      from users
      where last_seen_at > ${now.toISOString()}::timestamptz - interval '30 days'
    `),
    queueCounts(deps.db),
    httpRequestFigures(deps.db, from, to),
  ]);
  const rows = rowsOf<FigureRow>(figures);
  const byDay = new Map(rows.filter((r) => r.day !== null).map((r) => [r.day, r]));
  const daily: Overview['daily'] = [];
  const httpDaily: Overview['http']['daily'] = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += DAY_MS) {
    const day = isoDay(new Date(t));
    daily.push({ day, ...toFigures(byDay.get(day)) });
    httpDaily.push({ day, ...(http.get(day) ?? noHttpRequests) });
  }
  const [active] = rowsOf<Record<'day' | 'week' | 'month', string | number>>(users);
  return {
    generatedAt: now,
    from,
    to,
    activeUsers: {
      day: Number(active?.day ?? 0),
      week: Number(active?.week ?? 0),
      month: Number(active?.month ?? 0),
    },
    totals: toFigures(rows.find((r) => r.day === null)),
    daily,
    http: { totals: http.get(null) ?? noHttpRequests, daily: httpDaily },
    queue,
  };
}

const noHttpRequests: HttpRequestFigures = {
  requests: 0,
  serverErrors: 0,
  clientErrors: 0,
  errorRate: null,
  latencyP50Ms: null,
  latencyP95Ms: null,
};

/** HTTP request figures per UTC day from `from` to `to`, and for the whole span under the key null. */
async function httpRequestFigures(
  db: Database,
  from: string,
  to: string,
): Promise<Map<string | null, HttpRequestFigures>> {
  const start = `${from}T00:00:00Z`;
  const end = `${to}T00:00:00Z`;
  const span = sql`minute >= ${start}::timestamptz and minute < ${end}::timestamptz + interval '1 day'`;
  const [counts, buckets] = await Promise.all([
    db.execute(sql`
      select (minute at time zone 'UTC')::date::text as day, sum(requests) as requests,
             coalesce(sum(requests) filter (where status >= 500), 0) as server_errors,
             coalesce(sum(requests) filter (where status between 400 and 499), 0) as client_errors
      from http_request_stats where ${span}
      group by grouping sets (((minute at time zone 'UTC')::date), ())
    `),
    // Bucket counts summed position by position, per day and for the span.
    db.execute(sql`
      select (minute at time zone 'UTC')::date::text as day, b.i as bucket, sum(b.n) as n
      from http_request_stats, unnest(latency_buckets) with ordinality as b(n, i)
      where ${span}
      group by grouping sets (((minute at time zone 'UTC')::date, b.i), (b.i))
    `),
  ]);
  const histograms = new Map<string | null, number[]>();
  for (const row of rowsOf<{ day: string | null; bucket: string | number; n: string | number }>(buckets)) {
    let histogram = histograms.get(row.day);
    if (!histogram) {
      histogram = new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
      histograms.set(row.day, histogram);
    }
    histogram[Number(row.bucket) - 1] = Number(row.n);
  }
  const figures = new Map<string | null, HttpRequestFigures>();
  type CountRow = Record<'requests' | 'server_errors' | 'client_errors', string | number> & {
    day: string | null;
  };
  for (const row of rowsOf<CountRow>(counts)) {
    const requests = Number(row.requests);
    if (requests === 0) continue;
    const serverErrors = Number(row.server_errors);
    const histogram = histograms.get(row.day) ?? [];
    figures.set(row.day, {
      requests,
      serverErrors,
      clientErrors: Number(row.client_errors),
      errorRate: serverErrors / requests,
      latencyP50Ms: latencyQuantileMs(histogram, 0.5),
      latencyP95Ms: latencyQuantileMs(histogram, 0.95),
    });
  }
  return figures;
}

/** Jobs waiting, in progress and dead now. */
export interface QueueCounts {
  queued: number;
  running: number;
  dead: number;
}

/** How many jobs are queued, running and dead; each count reads its status's partial index. */
export async function queueCounts(db: Database): Promise<QueueCounts> {
  const [row] = rowsOf<Record<keyof QueueCounts, string | number>>(
    await db.execute(sql`
      select (select count(*) from jobs where status = 'queued') as queued,
             (select count(*) from jobs where status = 'running') as running,
             (select count(*) from jobs where status = 'dead') as dead
    `),
  );
  return {
    queued: Number(row?.queued ?? 0),
    running: Number(row?.running ?? 0),
    dead: Number(row?.dead ?? 0),
  };
}
