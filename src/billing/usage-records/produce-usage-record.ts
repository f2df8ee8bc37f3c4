import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import type { usageRecords } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { jobOrigin } from '../../queue/enqueue.ts';
import type { PublishedJob } from '../../queue/job-queue.ts';
import { insertJobs } from '../../queue/jobs-store.ts';
import { JOB_DELIVER_USAGE_RECORD } from './job-kinds.ts';

/** A usage record as stored: one subscription period's model usage. */
export type UsageRecord = typeof usageRecords.$inferSelect;

/** A record's billing figures as the outside sees them (snake_case): the webhook's object and the admin API's item. */
export const usageRecordFields = (record: UsageRecord) => ({
  id: record.id,
  subscription_id: record.subscriptionId,
  user_id: record.userId,
  plan: record.plan,
  period_start: record.periodStart.toISOString(),
  period_end: record.periodEnd.toISOString(),
  requests: record.requests,
  tokens_in: record.tokensIn,
  tokens_out: record.tokensOut,
  cost_usd: Number(record.costUsd),
});

/** The period a record covers: a subscription's [start, end). */
export interface SubscriptionPeriod {
  id: string;
  userId: string;
  plan: string;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
}

interface RecordRow {
  id: string;
  subscription_id: string;
  user_id: string;
  plan: string;
  period_start: Date | string;
  period_end: Date | string;
  requests: number | string;
  tokens_in: number | string;
  tokens_out: number | string;
  cost_usd: string;
  created_at: Date | string;
  delivered_at: Date | string | null;
  delivery_error: string | null;
}

/** A raw usage_records row (either driver's shapes) as the domain record. */
const toUsageRecord = (row: RecordRow): UsageRecord => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  userId: row.user_id,
  plan: row.plan,
  periodStart: new Date(row.period_start),
  periodEnd: new Date(row.period_end),
  requests: Number(row.requests),
  tokensIn: Number(row.tokens_in),
  tokensOut: Number(row.tokens_out),
  costUsd: String(row.cost_usd),
  createdAt: new Date(row.created_at),
  deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at),
  deliveryError: row.delivery_error,
});

/**
 * Produces the usage record of one subscription period from usage_events, in the caller's
 * transaction: requests are distinct API requests that called a model (embeddings alone do not
 * count), tokens and cost include every call. The unique (subscription, period start) makes it
 * once per period: a second call, here or on another instance, returns null. With
 * BILLING_USAGE_WEBHOOK_URL set, its delivery job is stored in the same transaction; the caller
 * publishes `jobs` after the commit.
 */
export async function produceUsageRecord(
  deps: Pick<Deps, 'config' | 'telemetry'>,
  tx: Pick<Database, 'execute' | 'insert'>,
  period: SubscriptionPeriod,
): Promise<{ record: UsageRecord; jobs: PublishedJob[] } | null> {
  const start = period.currentPeriodStart.toISOString();
  const end = period.currentPeriodEnd.toISOString();
  const [row] = rowsOf<RecordRow>(
    await tx.execute(sql`
      insert into usage_records (id, subscription_id, user_id, plan, period_start, period_end,
                                 requests, tokens_in, tokens_out, cost_usd)
      select ${crypto.randomUUID()}, ${period.id}, ${period.userId}, ${period.plan},
             ${start}::timestamptz, ${end}::timestamptz,
             count(distinct coalesce(server_request_id::text, request_id)) filter (where operation <> 'embed'),
             coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0), coalesce(sum(cost_usd), 0)
      from usage_events
      where user_id = ${period.userId} and created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
      on conflict (subscription_id, period_start) do nothing
      returning *`),
  );
  if (!row) return null;
  const record = toUsageRecord(row);
  if (!deps.config.BILLING_USAGE_WEBHOOK_URL) return { record, jobs: [] };
  const jobs = await insertJobs(tx, [
    {
      ...jobOrigin(deps),
      kind: JOB_DELIVER_USAGE_RECORD,
      payload: { usageRecordId: record.id },
      key: `usage-record:${record.id}`,
      maxAttempts: deps.config.JOB_MAX_ATTEMPTS,
    },
  ]);
  return { record, jobs };
}
