import { and, eq, inArray, lte, or, sql } from 'drizzle-orm';
import { evictUser } from '../../auth/resolve-principal.ts';
import { subscriptions, usageRecords, users } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import type { PublishedJob } from '../../queue/job-queue.ts';
import { produceUsageRecord, type UsageRecord } from '../usage-records/produce-usage-record.ts';
import { FREE_PLAN } from './plan-names.ts';
import { lockSubscription, planInForce, setUserPlan, type Tx } from './subscription-store.ts';

// One pass handles at most this many subscriptions; the next pass (a minute later) takes the rest.
const BATCH = 200;
// An admin-granted subscription left unattended for longer than this rolls forward in one go.
const MAX_PERIODS_PER_PASS = 120;

/** What one pass did. */
export interface PeriodEndReport {
  records: UsageRecord[];
  /** Users whose plan in force changed (a lapse to free). */
  lapsed: string[];
  /** Admin-granted subscriptions moved to their next monthly period. */
  renewed: number;
}

/** The same day of the next calendar month, clamped to its last day (31 January → 28/29 February). */
export function addMonth(date: Date): Date {
  const next = new Date(date);
  const day = next.getUTCDate();
  next.setUTCDate(1);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
  next.setUTCDate(Math.min(day, lastDay));
  return next;
}

const lapsing = or(
  inArray(subscriptions.status, ['canceled', 'past_due']),
  eq(subscriptions.cancelAtPeriodEnd, true),
);

/**
 * The subscriptions' period-end step, run by the maintenance job (Node) and the cron handler
 * (Workers), and on demand by admins (`userId` narrows it to one user). For each subscription
 * whose current period has ended: its usage record is produced (once: see produceUsageRecord);
 * a canceled, unpaid or canceling one puts `free` in force (a canceling one becomes canceled); an
 * admin-granted active one moves to its next monthly period. Each subscription is handled in its
 * own transaction under its row lock, so overlapping passes on several instances are harmless.
 */
export async function runPeriodEnds(
  deps: Deps,
  options: { userId?: string; onRecord?: (tx: Tx, record: UsageRecord) => Promise<void> } = {},
): Promise<PeriodEndReport> {
  const now = deps.now();
  const due = await deps.db
    .select({ userId: subscriptions.userId })
    .from(subscriptions)
    .leftJoin(users, eq(users.id, subscriptions.userId))
    .where(
      and(
        lte(subscriptions.currentPeriodEnd, now),
        options.userId === undefined ? undefined : eq(subscriptions.userId, options.userId),
        or(
          sql`not exists (select 1 from ${usageRecords} r where r.subscription_id = ${subscriptions.id}
                          and r.period_start = ${subscriptions.currentPeriodStart})`,
          and(lapsing, sql`coalesce(${users.plan}, '') <> ${FREE_PLAN}`),
          and(eq(subscriptions.cancelAtPeriodEnd, true), sql`${subscriptions.status} <> 'canceled'`),
          and(
            eq(subscriptions.source, 'admin'),
            inArray(subscriptions.status, ['active', 'trialing']),
            eq(subscriptions.cancelAtPeriodEnd, false),
          ),
        ),
      ),
    )
    .orderBy(subscriptions.currentPeriodEnd)
    .limit(BATCH);

  const report: PeriodEndReport = { records: [], lapsed: [], renewed: 0 };
  const jobs: PublishedJob[] = [];
  for (const { userId } of due) {
    const outcome = await deps.db.transaction(async (tx) => {
      const subscription = await lockSubscription(tx, userId);
      // Changed since the list was read (a webhook renewed it, another pass took it): nothing to do.
      if (!subscription || subscription.currentPeriodEnd.getTime() > now.getTime()) return null;
      const records: UsageRecord[] = [];
      const produce = async (period: typeof subscription) => {
        const produced = await produceUsageRecord(deps, tx, period);
        if (!produced) return;
        records.push(produced.record);
        jobs.push(...produced.jobs);
        await options.onRecord?.(tx, produced.record);
      };
      await produce(subscription);
      let current = subscription;
      let renewed = false;
      if (
        current.source === 'admin' &&
        (current.status === 'active' || current.status === 'trialing') &&
        !current.cancelAtPeriodEnd
      ) {
        let start = current.currentPeriodEnd;
        let end = addMonth(start);
        for (let i = 1; end.getTime() <= now.getTime() && i < MAX_PERIODS_PER_PASS; i++) {
          await produce({ ...current, currentPeriodStart: start, currentPeriodEnd: end });
          start = end;
          end = addMonth(end);
        }
        [current = subscription] = await tx
          .update(subscriptions)
          .set({ currentPeriodStart: start, currentPeriodEnd: end, updatedAt: now })
          .where(eq(subscriptions.id, subscription.id))
          .returning();
        renewed = true;
      } else if (current.cancelAtPeriodEnd && current.status !== 'canceled') {
        [current = subscription] = await tx
          .update(subscriptions)
          .set({ status: 'canceled', updatedAt: now })
          .where(eq(subscriptions.id, subscription.id))
          .returning();
      }
      const plan = planInForce(current, now);
      const planBefore = await setUserPlan(tx, userId, plan);
      return { records, renewed, lapsed: planBefore !== plan };
    });
    if (!outcome) continue;
    report.records.push(...outcome.records);
    if (outcome.renewed) report.renewed++;
    if (outcome.lapsed) {
      report.lapsed.push(userId);
      evictUser(deps, userId);
    }
  }
  await deps.queue.publish(jobs);
  return report;
}

/** The maintenance step: one pass, logged; a failure is logged and left to the next pass. */
export async function subscriptionMaintenance(deps: Deps): Promise<void> {
  try {
    const report = await runPeriodEnds(deps);
    const fields = {
      usage_records: report.records.length,
      lapsed: report.lapsed.length,
      renewed: report.renewed,
    };
    if (report.records.length + report.lapsed.length + report.renewed > 0)
      deps.logger.info('subscription period ends', fields);
    else deps.logger.debug('subscription period ends', fields);
  } catch (error) {
    deps.logger.error('subscription maintenance failed', { err: error });
  }
}
