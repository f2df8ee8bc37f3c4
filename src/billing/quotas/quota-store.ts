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
 * The plan in force and the current periods, as SQL: the plan named (the free plan when no such plan
 * exists), today (UTC), and the monthly period: the subscription's current one, else the calendar
 * month (UTC). One indexed lookup on each table.
 */
export function planContext(userId: string, plan: string | SQL): SQL {
  return sql`
    select p.name as plan, p.model_requests_per_day as req_limit, p.agent_runs_per_day as runs_limit,
      p.tokens_per_month as tok_limit, p.cost_usd_per_month as cost_limit, p.documents as docs_limit,
      p.stored_bytes as bytes_limit,
      (now() at time zone 'UTC')::date as today,
      ((now() at time zone 'UTC')::date + 1)::timestamp at time zone 'UTC' as day_end,
      coalesce(s.current_period_start, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC') as period_start,
      coalesce(s.current_period_end,
        (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC') as period_end
    from plans p
    left join subscriptions s on s.user_id = ${userId}
      and s.current_period_start <= now() and now() < s.current_period_end
    where p.name in (${plan}, 'free')
    order by p.name = ${plan} desc
    limit 1`;
}

// The counters of the current day and period, as the row holds them or zero once they ended.
// Reservations of a row idle for longer than the TTL are dropped: no request can still hold them.
const sameDay = sql`q.day = c.today`;
const samePeriod = sql`q.period_start = c.period_start`;
const live = (ttlS: number) => sql`q.updated_at > now() - make_interval(secs => ${ttlS})`;
const current = (column: string, when: SQL) => sql`(case when ${when} then q.${sql.raw(column)} else 0 end)`;

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
  const checked = addAmounts([amounts, free]);
  const req = sql`${amounts.modelRequests}::int`;
  const runs = sql`${amounts.agentRuns}::int`;
  const tok = sql`${amounts.tokens}::bigint`;
  const cost = sql`${amounts.costUsd}::numeric`;
  // The demand as checked against each limit: what is reserved, and what must stay free after it.
  const reqCheck = sql`${checked.modelRequests}::int`;
  const runsCheck = sql`${checked.agentRuns}::int`;
  const tokCheck = sql`${checked.tokens}::bigint`;
  const costCheck = sql`${checked.costUsd}::numeric`;
  const fits = (limit: string, demand: SQL, used: SQL) =>
    sql`(c.${sql.raw(limit)} is null or ${demand} = 0 or ${used} + ${demand} <= c.${sql.raw(limit)})`;
  const isLive = live(input.reservationTtlS);
  const reqUsed = sql`${current('requests_used', sameDay)} + ${current('requests_reserved', sql`${sameDay} and ${isLive}`)}`;
  const runsUsed = sql`${current('agent_runs_used', sameDay)} + ${current('agent_runs_reserved', sql`${sameDay} and ${isLive}`)}`;
  const tokUsed = sql`${current('tokens_used', samePeriod)} + ${current('tokens_reserved', sql`${samePeriod} and ${isLive}`)}`;
  const costUsed = sql`${current('cost_used_usd', samePeriod)} + ${current('cost_reserved_usd', sql`${samePeriod} and ${isLive}`)}`;

  for (let attempt = 0; ; attempt++) {
    const rows = rowsOf<ReserveRow>(
      await db.execute(sql`
        with c as (${planContext(userId, input.plan)}),
        upd as (
          update quota_usage q set
            day = c.today,
            requests_used = ${current('requests_used', sameDay)},
            requests_reserved = ${current('requests_reserved', sql`${sameDay} and ${isLive}`)} + ${req},
            agent_runs_used = ${current('agent_runs_used', sameDay)},
            agent_runs_reserved = ${current('agent_runs_reserved', sql`${sameDay} and ${isLive}`)} + ${runs},
            period_start = c.period_start,
            period_end = c.period_end,
            tokens_used = ${current('tokens_used', samePeriod)},
            tokens_reserved = ${current('tokens_reserved', sql`${samePeriod} and ${isLive}`)} + ${tok},
            cost_used_usd = ${current('cost_used_usd', samePeriod)},
            cost_reserved_usd = ${current('cost_reserved_usd', sql`${samePeriod} and ${isLive}`)} + ${cost},
            updated_at = now()
          from c
          where q.user_id = ${userId}
            and ${fits('req_limit', reqCheck, reqUsed)} and ${fits('runs_limit', runsCheck, runsUsed)}
            and ${fits('tok_limit', tokCheck, tokUsed)} and ${fits('cost_limit', costCheck, costUsed)}
          returning 1
        ),
        ins as (
          insert into quota_usage (user_id, day, requests_reserved, agent_runs_reserved, period_start, period_end,
            tokens_reserved, cost_reserved_usd)
          select ${userId}, c.today, ${req}, ${runs}, c.period_start, c.period_end, ${tok}, ${cost} from c
          where (c.req_limit is null or ${reqCheck} <= c.req_limit) and (c.runs_limit is null or ${runsCheck} <= c.runs_limit)
            and (c.tok_limit is null or ${tokCheck} <= c.tok_limit) and (c.cost_limit is null or ${costCheck} <= c.cost_limit)
          on conflict (user_id) do nothing
          returning 1
        )
        select c.plan, c.today::text as today, c.period_start, c.period_end, c.day_end, c.req_limit, c.runs_limit,
          c.tok_limit, c.cost_limit::text as cost_limit,
          (select count(*) from upd) + (select count(*) from ins) as applied,
          q.user_id is not null as existed,
          ${reqUsed} as requests, ${runsUsed} as agent_runs, ${tokUsed} as tokens, (${costUsed})::text as cost
        from c left join quota_usage q on q.user_id = ${userId}`),
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
