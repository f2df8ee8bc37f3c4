import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { type SubscriptionSource, type SubscriptionStatus, subscriptions, users } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import type { PublishedJob } from '../../queue/job-queue.ts';
import { produceUsageRecord } from '../usage-records/produce-usage-record.ts';
import { FREE_PLAN } from './plan-names.ts';

/** A subscription as stored. */
export type Subscription = typeof subscriptions.$inferSelect;

/** A transaction of `deps.db`: the subscription, the user's plan and the audit row commit together. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * The plan a subscription puts in force at `now`: its own plan, except that a canceled or unpaid
 * (past_due) subscription, or one set to cancel at period end, falls back to `free` once its
 * current period has ended.
 */
export function planInForce(subscription: Subscription, now: Date): string {
  const lapses =
    subscription.status === 'canceled' ||
    subscription.status === 'past_due' ||
    subscription.cancelAtPeriodEnd;
  return lapses && subscription.currentPeriodEnd.getTime() <= now.getTime() ? FREE_PLAN : subscription.plan;
}

/** Every field of a subscription that a change sets; external ids and event time keep theirs when absent. */
export interface SubscriptionWrite {
  userId: string;
  plan: string;
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  source: SubscriptionSource;
  externalCustomerId?: string | null;
  externalSubscriptionId?: string | null;
  externalEventAt?: Date;
}

/** What a write changed, and the usage-record deliveries to announce once it commits. */
export interface SubscriptionChange {
  before: Subscription | null;
  after: Subscription;
  plan: { before: string; after: string };
  jobs: PublishedJob[];
}

/** The user's subscription, locked for the rest of the transaction; null without one. */
export async function lockSubscription(tx: Tx, userId: string): Promise<Subscription | null> {
  const [row] = await tx.select().from(subscriptions).where(eq(subscriptions.userId, userId)).for('update');
  return row ?? null;
}

/**
 * Sets the user's plan in force (creating the user row when the billing provider knows a user
 * before cairn has seen a request of theirs). Returns the plan before.
 */
export async function setUserPlan(tx: Tx, userId: string, plan: string): Promise<string> {
  const [before] = await tx
    .select({ plan: users.plan })
    .from(users)
    .where(eq(users.id, userId))
    .for('update');
  if (!before)
    await tx
      .insert(users)
      .values({ id: userId, plan })
      .onConflictDoUpdate({ target: users.id, set: { plan } });
  else if (before.plan !== plan) await tx.update(users).set({ plan }).where(eq(users.id, userId));
  return before?.plan ?? FREE_PLAN;
}

/**
 * Creates or replaces the user's subscription and puts its plan in force, in the caller's
 * transaction. When the change starts a new period after the old one ended (a renewal), the old
 * period's usage record is produced in the same transaction, so a renewal arriving before the
 * maintenance step saw the period end loses no record.
 */
export async function writeSubscription(
  deps: Pick<Deps, 'config' | 'telemetry' | 'now'>,
  tx: Tx,
  write: SubscriptionWrite,
): Promise<SubscriptionChange> {
  const before = await lockSubscription(tx, write.userId);
  const values = {
    plan: write.plan,
    status: write.status,
    currentPeriodStart: write.currentPeriodStart,
    currentPeriodEnd: write.currentPeriodEnd,
    cancelAtPeriodEnd: write.cancelAtPeriodEnd,
    source: write.source,
    ...(write.externalCustomerId === undefined ? {} : { externalCustomerId: write.externalCustomerId }),
    ...(write.externalSubscriptionId === undefined
      ? {}
      : { externalSubscriptionId: write.externalSubscriptionId }),
    ...(write.externalEventAt === undefined ? {} : { externalEventAt: write.externalEventAt }),
    updatedAt: deps.now(),
  };
  const [after] = before
    ? await tx.update(subscriptions).set(values).where(eq(subscriptions.id, before.id)).returning()
    : await tx
        .insert(subscriptions)
        .values({ id: crypto.randomUUID(), userId: write.userId, ...values })
        .returning();
  if (!after) throw new Error(`subscription of ${write.userId} not written`);
  const jobs: PublishedJob[] = [];
  if (
    before &&
    before.currentPeriodStart.getTime() !== after.currentPeriodStart.getTime() &&
    before.currentPeriodEnd.getTime() <= after.currentPeriodStart.getTime()
  ) {
    const produced = await produceUsageRecord(deps, tx, before);
    if (produced) jobs.push(...produced.jobs);
  }
  const planAfter = planInForce(after, deps.now());
  const planBefore = await setUserPlan(tx, write.userId, planAfter);
  return { before, after, plan: { before: planBefore, after: planAfter }, jobs };
}
