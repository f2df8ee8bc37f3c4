import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import { planContext } from './quota-store.ts';

export const quotaNames = [
  'model_requests_per_day',
  'agent_runs_per_day',
  'tokens_per_month',
  'cost_usd_per_month',
  'documents',
  'stored_bytes',
] as const;
export type QuotaName = (typeof quotaNames)[number];

/** One quota of the caller's plan, as it stands now. */
export interface QuotaStatus {
  quota: QuotaName;
  /** Null: unlimited. */
  limit: number | null;
  used: number;
  /** Held by requests in progress (metered quotas only). */
  reserved: number;
  /** limit − used − reserved, never below 0; null when unlimited. */
  remaining: number | null;
  /** When the counter next starts from zero; null for storage, which only deleting frees. */
  resetsAt: Date | null;
}

export interface QuotaReport {
  plan: string;
  periodStart: Date;
  periodEnd: Date;
  quotas: QuotaStatus[];
}

interface Row {
  plan: string;
  today: string;
  day_end: string | Date;
  period_start: string | Date;
  period_end: string | Date;
  req_limit: number | null;
  runs_limit: number | null;
  tok_limit: string | number | null;
  cost_limit: string | null;
  docs_limit: number | null;
  bytes_limit: string | number | null;
  day: string | null;
  row_period: string | Date | null;
  live: boolean | null;
  requests_used: number | null;
  requests_reserved: number | null;
  agent_runs_used: number | null;
  agent_runs_reserved: number | null;
  tokens_used: string | number | null;
  tokens_reserved: string | number | null;
  cost_used: string | null;
  cost_reserved: string | null;
  documents: string | number;
  stored_bytes: string | number | null;
}

const asDate = (value: string | Date) => (value instanceof Date ? value : new Date(value));
const num = (value: string | number | null | undefined) =>
  value === null || value === undefined ? null : Number(value);

/**
 * The caller's plan and, per quota, its limit, what is used and reserved, what remains and when it
 * resets: the counters of quota_usage (zero once their day or period ended, reservations dropped
 * once stale, as reservations see them) and the documents table, in one statement.
 */
export async function quotaReport(
  db: Database,
  input: { userId: string; plan: string; reservationTtlS: number },
): Promise<QuotaReport> {
  const rows = rowsOf<Row>(
    await db.execute(sql`
      with c as (${planContext(input.userId, input.plan)})
      select c.plan, c.today::text as today, c.day_end, c.period_start, c.period_end, c.req_limit, c.runs_limit,
        c.tok_limit, c.cost_limit::text as cost_limit, c.docs_limit, c.bytes_limit,
        q.day::text as day, q.period_start as row_period,
        q.updated_at > now() - make_interval(secs => ${input.reservationTtlS}) as live,
        q.requests_used, q.requests_reserved, q.agent_runs_used, q.agent_runs_reserved,
        q.tokens_used, q.tokens_reserved, q.cost_used_usd::text as cost_used, q.cost_reserved_usd::text as cost_reserved,
        d.documents, d.stored_bytes
      from c
      left join quota_usage q on q.user_id = ${input.userId}
      cross join (select count(*) as documents, sum(octet_length(content)) as stored_bytes
                  from documents where owner_id = ${input.userId}) d`),
  );
  const row = rows[0];
  if (!row) throw new Error('No plan named "free": the plans table is not seeded.');
  const periodStart = asDate(row.period_start);
  const sameDay = row.day === row.today;
  const samePeriod = row.row_period !== null && asDate(row.row_period).getTime() === periodStart.getTime();
  const counter = (current: boolean, used: string | number | null, reserved: string | number | null) => ({
    used: current ? (num(used) ?? 0) : 0,
    reserved: current && row.live ? (num(reserved) ?? 0) : 0,
  });
  const status = (
    quota: QuotaName,
    limit: number | null,
    use: { used: number; reserved: number },
    resetsAt: Date | null,
  ): QuotaStatus => ({
    quota,
    limit,
    ...use,
    remaining: limit === null ? null : Math.max(0, limit - use.used - use.reserved),
    resetsAt,
  });
  const dayEnd = asDate(row.day_end);
  const periodEnd = asDate(row.period_end);
  return {
    plan: row.plan,
    periodStart,
    periodEnd,
    quotas: [
      status(
        'model_requests_per_day',
        row.req_limit,
        counter(sameDay, row.requests_used, row.requests_reserved),
        dayEnd,
      ),
      status(
        'agent_runs_per_day',
        row.runs_limit,
        counter(sameDay, row.agent_runs_used, row.agent_runs_reserved),
        dayEnd,
      ),
      status(
        'tokens_per_month',
        num(row.tok_limit),
        counter(samePeriod, row.tokens_used, row.tokens_reserved),
        periodEnd,
      ),
      status(
        'cost_usd_per_month',
        num(row.cost_limit),
        counter(samePeriod, row.cost_used, row.cost_reserved),
        periodEnd,
      ),
      status('documents', row.docs_limit, { used: Number(row.documents), reserved: 0 }, null),
      status(
        'stored_bytes',
        num(row.bytes_limit),
        { used: Number(row.stored_bytes ?? 0), reserved: 0 },
        null,
      ),
    ],
  };
}
