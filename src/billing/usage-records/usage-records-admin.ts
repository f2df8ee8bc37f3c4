import { and, eq, getTableColumns } from 'drizzle-orm';
import { recordAdminAction } from '../../admin/admin-audit.ts';
import { usageRecords } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import { runPeriodEnds } from '../subscriptions/period-end.ts';
import type { UsageRecord } from './produce-usage-record.ts';

/** Usage records, newest first, optionally one user's. */
export async function listUsageRecords(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & { userId?: string | undefined },
): Promise<Page<UsageRecord>> {
  return keysetPage(
    input,
    { timestamp: usageRecords.createdAt, id: usageRecords.id },
    (keyset) =>
      deps.db
        .select({ ...getTableColumns(usageRecords), sortKey: keyset.sortKey })
        .from(usageRecords)
        .where(
          and(input.userId === undefined ? undefined : eq(usageRecords.userId, input.userId), keyset.after),
        )
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...record }) => record,
  );
}

/**
 * An admin's on-demand run of the period-end step (for one user or all): every ended period
 * without its record gets it now instead of at the next maintenance pass, delivered as those are.
 * Each record's audit row commits with it; a run that produced none is audited on its own.
 */
export async function produceUsageRecordsNow(
  deps: Deps,
  input: { actorId: string; requestId?: string | undefined; userId?: string | undefined },
): Promise<UsageRecord[]> {
  const audit = {
    actorId: input.actorId,
    requestId: input.requestId,
    action: 'billing.usage-records.produce',
  };
  const report = await runPeriodEnds(deps, {
    userId: input.userId,
    onRecord: (tx, record) =>
      recordAdminAction(tx, {
        ...audit,
        target: `subscription:${record.subscriptionId}`,
        details: {
          usage_record_id: record.id,
          user_id: record.userId,
          period_start: record.periodStart.toISOString(),
        },
      }),
  });
  if (report.records.length === 0)
    await recordAdminAction(deps.db, {
      ...audit,
      target: input.userId === undefined ? 'usage-records:all' : `user:${input.userId}`,
      details: { produced: 0 },
    });
  return report.records;
}
