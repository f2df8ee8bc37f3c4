import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import { validationFailed } from '../../errors.ts';
import { decodeCursor, encodeCursor, type Page } from '../../http/pagination.ts';
import { textProblem } from '../../http/text-safety.ts';

export const usageGroupings = ['user', 'model', 'route', 'day'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

/** Model usage of one group (a user, a model, a route or a UTC day) over the period. */
export interface UsageGroup {
  /** The user id, `provider/model`, route or day; null for calls outside any user or route (jobs). */
  key: string | null;
  requests: number;
  calls: number;
  failedCalls: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export interface UsageBreakdownInput {
  groupBy: UsageGrouping;
  from?: string | undefined;
  to?: string | undefined;
  userId?: string | undefined;
  /** Several users at once (the dashboard's users page); not offered by the API. */
  userIds?: readonly string[] | undefined;
  model?: string | undefined;
  route?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface UsageBreakdown extends Page<UsageGroup> {
  from: string;
  to: string;
}

const MAX_DAYS = 366;
const DAY_MS = 86_400_000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

// Each grouping's key expression; `model` joins provider and model so two providers' same name stay apart.
const keyOf: Record<UsageGrouping, SQL> = {
  user: sql`user_id`,
  model: sql`provider || '/' || model`,
  route: sql`route`,
  day: sql`(created_at at time zone 'UTC')::date::text`,
};

// Keyset position: the last group's key (null: the null group, which sorts last). Days page newest
// first, every other grouping by key.
const cursorSchema = z.strictObject({
  k: z
    .string()
    .max(4096)
    .refine((k) => textProblem(k) === undefined)
    .nullable(),
});

function period(now: Date, from?: string, to?: string): { from: string; to: string } {
  const end = to ?? isoDay(now);
  const start = from ?? isoDay(new Date(Date.parse(end) - 29 * DAY_MS));
  const days = (Date.parse(end) - Date.parse(start)) / DAY_MS + 1;
  if (days < 1)
    throw validationFailed('The period is empty.', [
      { pointer: '/query/from', detail: 'must not be after to' },
    ]);
  if (days > MAX_DAYS)
    throw validationFailed('The period is too long.', [
      { pointer: '/query/from', detail: `must be at most ${MAX_DAYS} days before to` },
    ]);
  return { from: start, to: end };
}

interface Row {
  key: string | null;
  requests: string | number;
  calls: string | number;
  failed_calls: string | number;
  p50: string | number;
  p95: string | number;
  tokens_in: string | number;
  tokens_out: string | number;
  cost_usd: string | number;
}

/**
 * Model usage over whole UTC days grouped by user, model, route or day, optionally narrowed to one
 * user, model (`provider/model`) or route, one keyset page of groups at a time.
 */
export async function usageBreakdown(
  deps: { db: Database; now: () => Date },
  input: UsageBreakdownInput,
): Promise<UsageBreakdown> {
  const span = period(deps.now(), input.from, input.to);
  const key = keyOf[input.groupBy];
  const after = input.cursor ? decodeCursor(input.cursor, cursorSchema, '/query/cursor').k : undefined;
  const descending = input.groupBy === 'day';
  // Nulls sort last either way: the null group follows every key, and nothing follows it.
  const position =
    after === undefined
      ? undefined
      : after === null
        ? sql`false`
        : sql`(groups.key ${descending ? sql`<` : sql`>`} ${after} or groups.key is null)`;
  const filters = [
    sql`created_at >= ${`${span.from}T00:00:00Z`}::timestamptz`,
    sql`created_at < ${`${span.to}T00:00:00Z`}::timestamptz + interval '1 day'`,
    input.userId === undefined ? undefined : sql`user_id = ${input.userId}`,
    input.userIds === undefined
      ? undefined
      : input.userIds.length === 0
        ? sql`false`
        : sql`user_id in (${sql.join(
            input.userIds.map((id) => sql`${id}`),
            sql`, `,
          )})`,
    input.model === undefined ? undefined : sql`provider || '/' || model = ${input.model}`,
    input.route === undefined ? undefined : sql`route = ${input.route}`,
  ].filter((f): f is SQL => f !== undefined);
  const rows = rowsOf<Row>(
    await deps.db.execute(sql`
      select * from (
        select ${key} as key,
               count(distinct coalesce(server_request_id::text, request_id)) as requests,
               count(*) as calls,
               count(*) filter (where status not in ('ok', 'cancelled')) as failed_calls,
               percentile_cont(0.5) within group (order by latency_ms) as p50,
               percentile_cont(0.95) within group (order by latency_ms) as p95,
               sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out, sum(cost_usd) as cost_usd
        from usage_events
        where ${sql.join(filters, sql` and `)}
        group by 1
      ) groups
      ${position ? sql`where ${position}` : sql``}
      order by groups.key ${descending ? sql`desc` : sql`asc`} nulls last
      limit ${input.limit + 1}
    `),
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    ...span,
    items: page.map((row) => ({
      key: row.key,
      requests: Number(row.requests),
      calls: Number(row.calls),
      failedCalls: Number(row.failed_calls),
      latencyP50Ms: Number(row.p50),
      latencyP95Ms: Number(row.p95),
      tokensIn: Number(row.tokens_in),
      tokensOut: Number(row.tokens_out),
      costUsd: Number(row.cost_usd),
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ k: last.key }) : null,
  };
}
