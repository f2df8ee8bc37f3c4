import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';

/** What a request may use of each metered quota, or used once it finished. */
export interface QuotaAmounts {
  modelRequests: number;
  agentRuns: number;
  tokens: number;
  costUsd: number;
}

export const noAmounts = (): QuotaAmounts => ({ modelRequests: 0, agentRuns: 0, tokens: 0, costUsd: 0 });

/** The sum of `amounts`, each scaled by `times` (1 by default). */
export const addAmounts = (amounts: readonly QuotaAmounts[], times = 1): QuotaAmounts => ({
  modelRequests: times * amounts.reduce((n, a) => n + a.modelRequests, 0),
  agentRuns: times * amounts.reduce((n, a) => n + a.agentRuns, 0),
  tokens: times * amounts.reduce((n, a) => n + a.tokens, 0),
  costUsd: times * amounts.reduce((n, a) => n + a.costUsd, 0),
});

/** The metered quotas, by their column name in `plans`. */
export const meteredQuotas = [
  'model_requests_per_day',
  'agent_runs_per_day',
  'tokens_per_month',
  'cost_usd_per_month',
] as const;
export type MeteredQuota = (typeof meteredQuotas)[number];

/** A reservation held by a request in progress: settled (or released) exactly once. */
export interface Reservation {
  userId: string;
  amounts: QuotaAmounts;
  /** The UTC day and the monthly period it was reserved in: a settlement after either ended is dropped. */
  day: string;
  periodStart: Date;
}

/** The quota a reservation would overrun. */
export interface QuotaShortfall {
  quota: MeteredQuota;
  plan: string;
  limit: number;
  /** Used so far in the period, reservations of requests in progress included. */
  used: number;
  requested: number;
  resetsAt: Date;
}

export type ReserveResult =
  | {
      ok: true;
      reservation: Reservation;
      /** When the reservation's day or period ends, whichever is first. */
      until: Date;
    }
  | { ok: false; shortfall: QuotaShortfall };

interface ReserveRow {
  plan: string;
  today: string;
  period_start: string | Date;
  period_end: string | Date;
  day_end: string | Date;
  req_limit: number | null;
  runs_limit: number | null;
  tok_limit: string | number | null;
  cost_limit: string | null;
  applied: string | number;
  existed: boolean;
  requests: number | null;
  agent_runs: number | null;
  tokens: string | number | null;
  cost: string | null;
}

const asDate = (value: string | Date) => (value instanceof Date ? value : new Date(value));
const num = (value: string | number | null) => (value === null ? null : Number(value));

/**
 * The plan in force and the current periods, as SQL (the `cairn_plan_context` function of
 * migration 0012): the plan named (the free plan when no such plan exists), today (UTC), and the
 * monthly period: the subscription's current one, else the calendar month (UTC). One indexed
 * lookup on each table.
 */
export function planContext(userId: string, plan: string | SQL): SQL {
  return sql`select * from cairn_plan_context(${userId}, ${plan})`;
}

/**
 * Reserves `amounts` for a request about to start, in ONE statement: inserts the user's row, or
 * updates it under its row lock only if every quota with a demand still fits (used + reserved +
 * demand ≤ limit, the limit read in the same statement), resetting the counters of a day or period
 * that ended. Concurrent reservations queue on the row and re-check the limit against the row they
 * find, so the period can overrun a limit only by what settlements add beyond their estimates.
 */
export async function reserveQuota(
  db: Database,
  input: {
    userId: string;
    plan: string;
    amounts: QuotaAmounts;
    reservationTtlS: number;
    /** Reserved only if this much more would still fit after it (nothing by default). */
    keepFree?: QuotaAmounts;
  },
): Promise<ReserveResult> {
  const { userId, amounts } = input;
  const free = input.keepFree ?? noAmounts();
  // The demand as checked against each limit: what is reserved, and what must stay free after it.
  const checked = addAmounts([amounts, free]);
  for (let attempt = 0; ; attempt++) {
    // The statement is the `cairn_reserve_quota` function of migration 0012, prepared once per connection.
    const rows = rowsOf<ReserveRow>(
      await db.execute(sql`
        select * from cairn_reserve_quota(${userId}, ${input.plan},
          ${amounts.modelRequests}::int, ${amounts.agentRuns}::int, ${amounts.tokens}::bigint, ${amounts.costUsd}::numeric,
          ${checked.modelRequests}::int, ${checked.agentRuns}::int, ${checked.tokens}::bigint, ${checked.costUsd}::numeric,
          ${input.reservationTtlS}::float8)`),
    );
    const row = rows[0];
    if (!row) throw new Error('No plan named "free": the plans table is not seeded.');
    const day = row.today;
    const periodStart = asDate(row.period_start);
    if (Number(row.applied) > 0) {
      const until = new Date(Math.min(asDate(row.day_end).getTime(), asDate(row.period_end).getTime()));
      return { ok: true, reservation: { userId, amounts, day, periodStart }, until };
    }
    const shortfall = findShortfall(row, checked);
    if (shortfall) return { ok: false, shortfall };
    // Nothing applied yet nothing over: a concurrent statement inserted or changed the row after
    // this one's snapshot. Its next run sees that row.
    if (attempt >= 3) throw new Error('quota reservation kept racing with concurrent requests');
  }
}

/** The first quota the row (as this statement saw it) has no room for; none when all fit. */
function findShortfall(row: ReserveRow, amounts: QuotaAmounts): QuotaShortfall | undefined {
  const used = (value: string | number | null) => (row.existed ? Number(value ?? 0) : 0);
  const checks: [MeteredQuota, number | null, number, number, Date][] = [
    ['model_requests_per_day', row.req_limit, used(row.requests), amounts.modelRequests, asDate(row.day_end)],
    ['agent_runs_per_day', row.runs_limit, used(row.agent_runs), amounts.agentRuns, asDate(row.day_end)],
    ['tokens_per_month', num(row.tok_limit), used(row.tokens), amounts.tokens, asDate(row.period_end)],
    ['cost_usd_per_month', num(row.cost_limit), used(row.cost), amounts.costUsd, asDate(row.period_end)],
  ];
  for (const [quota, limit, usedNow, requested, resetsAt] of checks) {
    if (limit !== null && requested > 0 && usedNow + requested > limit)
      return { quota, plan: row.plan, limit, used: usedNow, requested, resetsAt };
  }
  return undefined;
}

/**
 * Settles a reservation in ONE statement: releases what was reserved and adds what the request
 * actually used, to the day and period it was reserved in (dropped when that day or period has
 * since been reset). Releasing a failed request's reservation is a settlement with its actual use.
 */
export async function settleQuota(
  db: Database,
  reservation: Reservation,
  actual: QuotaAmounts,
): Promise<void> {
  const { amounts: est, day, periodStart } = reservation;
  const onDay = (value: number) => sql`(case when day = ${day}::date then ${value} else 0 end)`;
  const inPeriod = (value: number, type: 'bigint' | 'numeric') =>
    // Dates carry milliseconds; a subscription's period may carry microseconds.
    sql`(case when date_trunc('milliseconds', period_start) = ${periodStart.toISOString()}::timestamptz then ${value}::${sql.raw(type)} else 0 end)`;
  await db.execute(sql`
    update quota_usage set
      requests_used = requests_used + ${onDay(actual.modelRequests)},
      requests_reserved = greatest(0, requests_reserved - ${onDay(est.modelRequests)}),
      agent_runs_used = agent_runs_used + ${onDay(actual.agentRuns)},
      agent_runs_reserved = greatest(0, agent_runs_reserved - ${onDay(est.agentRuns)}),
      tokens_used = tokens_used + ${inPeriod(actual.tokens, 'bigint')},
      tokens_reserved = greatest(0, tokens_reserved - ${inPeriod(est.tokens, 'bigint')}),
      cost_used_usd = cost_used_usd + ${inPeriod(actual.costUsd, 'numeric')},
      cost_reserved_usd = greatest(0, cost_reserved_usd - ${inPeriod(est.costUsd, 'numeric')}),
      updated_at = now()
    where user_id = ${reservation.userId}`);
}

/**
 * Adds usage made outside a request (a document's ingestion embeddings) to the user's current
 * period under the plan in force (users.plan), without a limit check: the work is already done.
 * One statement; resets a period that ended.
 */
export async function chargeQuota(
  db: Database,
  input: { userId: string; tokens: number; costUsd: number },
): Promise<void> {
  const plan = sql`(select plan from users where id = ${input.userId})`;
  await db.execute(sql`
    with c as (${planContext(input.userId, plan)})
    insert into quota_usage as q (user_id, day, period_start, period_end, tokens_used, cost_used_usd)
    select ${input.userId}, c.today, c.period_start, c.period_end, ${input.tokens}::bigint, ${input.costUsd}::numeric
    from c
    on conflict (user_id) do update set
      tokens_used = (case when q.period_start = excluded.period_start then q.tokens_used else 0 end)
        + excluded.tokens_used,
      tokens_reserved = case when q.period_start = excluded.period_start then q.tokens_reserved else 0 end,
      cost_used_usd = (case when q.period_start = excluded.period_start then q.cost_used_usd else 0 end)
        + excluded.cost_used_usd,
      cost_reserved_usd = case when q.period_start = excluded.period_start then q.cost_reserved_usd else 0 end,
      period_start = excluded.period_start,
      period_end = excluded.period_end`);
}
