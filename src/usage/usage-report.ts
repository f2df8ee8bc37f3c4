import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { validationFailed } from '../errors.ts';

export interface UsageTotals {
  requests: number;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export interface UsageReport {
  from: string;
  to: string;
  totals: UsageTotals;
  byDay: (UsageTotals & { day: string })[];
  byModel: (UsageTotals & { provider: string; model: string })[];
}

interface Row {
  day: string | Date | null;
  provider: string | null;
  model: string | null;
  by_day: boolean;
  by_model: boolean;
  requests: string | number;
  calls: string | number;
  tokens_in: string | number | null;
  tokens_out: string | number | null;
  cost_usd: string | number | null;
}

const MAX_DAYS = 366;
const DAY_MS = 86_400_000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);
// PostgreSQL's calendar has no year 0: a default period reaching back past AD 1 starts there.
const FIRST_DAY = '0001-01-01';

const totals = (row: Row): UsageTotals => ({
  requests: Number(row.requests),
  calls: Number(row.calls),
  tokensIn: Number(row.tokens_in ?? 0),
  tokensOut: Number(row.tokens_out ?? 0),
  costUsd: Number(row.cost_usd ?? 0),
});

/** The days a report covers: `to` defaults to today (UTC), `from` to 29 days before it. */
function reportPeriod(now: Date, from?: string, to?: string): { from: string; to: string } {
  const end = to ?? isoDay(now);
  const start = from ?? isoDay(new Date(Math.max(Date.parse(end) - 29 * DAY_MS, Date.parse(FIRST_DAY))));
  const days = (Date.parse(end) - Date.parse(start)) / DAY_MS + 1;
  if (days < 1)
    throw validationFailed('The period is empty.', [
      { pointer: '/query/from', detail: 'must not be after to' },
    ]);
  if (days > MAX_DAYS) {
    throw validationFailed('The period is too long.', [
      { pointer: '/query/from', detail: `must be at most ${MAX_DAYS} days before to` },
    ]);
  }
  return { from: start, to: end };
}

/**
 * A user's model usage over whole UTC days: totals, per day and per model, in one pass over the
 * (user_id, created_at) index with GROUPING SETS.
 */
export async function usageReport(
  deps: { db: Database; now: () => Date },
  input: { userId: string; from?: string; to?: string },
): Promise<UsageReport> {
  const period = reportPeriod(deps.now(), input.from, input.to);
  const rows = rowsOf<Row>(
    await deps.db.execute(sql`
      select (created_at at time zone 'UTC')::date::text as day, provider, model,
             grouping((created_at at time zone 'UTC')::date) = 0 as by_day,
             grouping(provider, model) = 0 as by_model,
             count(distinct coalesce(server_request_id::text, request_id)) as requests, count(*) as calls,
             sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out, sum(cost_usd) as cost_usd
      from usage_events
      where user_id = ${input.userId}
        and created_at >= ${`${period.from}T00:00:00Z`}::timestamptz
        and created_at < ${`${period.to}T00:00:00Z`}::timestamptz + interval '1 day'
      group by grouping sets (((created_at at time zone 'UTC')::date), (provider, model), ())
    `),
  );
  const report: UsageReport = {
    ...period,
    totals: { requests: 0, calls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 },
    byDay: [],
    byModel: [],
  };
  for (const row of rows) {
    if (row.by_day) report.byDay.push({ day: String(row.day), ...totals(row) });
    else if (row.by_model)
      report.byModel.push({ provider: row.provider!, model: row.model!, ...totals(row) });
    else report.totals = totals(row);
  }
  report.byDay.sort((a, b) => a.day.localeCompare(b.day));
  report.byModel.sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls || a.model.localeCompare(b.model));
  return report;
}
