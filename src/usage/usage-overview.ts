import { returnAllowances } from '../billing/quotas/quota-allowances.ts';
import { type QuotaReport, quotaReport } from '../billing/quotas/quota-status.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { type UsageReport, usageReport } from './usage-report.ts';

/** What GET /usage shows: the usage report over the days asked, and the plan's quotas now. */
export interface UsageOverview {
  report: UsageReport;
  quotas: QuotaReport;
}

/**
 * The usage report and the plan's quotas. This process's pending quota settlements are applied
 * first, so a caller reads its own last request back, and what it reserved ahead for the caller's
 * next requests is handed back, so `reserved` shows only requests in progress.
 */
export async function usageOverview(
  deps: { db: Database; now: () => Date; config: Pick<Config, 'QUOTA_RESERVATION_TTL_S'> },
  input: { userId: string; plan: string; from?: string | undefined; to?: string | undefined },
): Promise<UsageOverview> {
  const report = await usageReport(deps, input);
  await returnAllowances(deps.db, input.userId);
  const quotas = await quotaReport(deps.db, {
    userId: input.userId,
    plan: input.plan,
    reservationTtlS: deps.config.QUOTA_RESERVATION_TTL_S,
  });
  return { report, quotas };
}
