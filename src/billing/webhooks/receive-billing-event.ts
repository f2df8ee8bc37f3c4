import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { evictUser } from '../../auth/resolve-principal.ts';
import { billingEvents, type SubscriptionStatus, subscriptions } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { type FieldError, pointerSegment, validationFailed } from '../../errors.ts';
import type { PublishedJob } from '../../queue/job-queue.ts';
import { planExists } from '../subscriptions/plan-names.ts';
import {
  lockSubscription,
  planInForce,
  type Subscription,
  setUserPlan,
  type Tx,
  writeSubscription,
} from '../subscriptions/subscription-store.ts';
import {
  type BillingEvent,
  type StripeSubscription,
  stripeInvoiceSchema,
  stripeSubscriptionSchema,
} from './stripe-events.ts';

/** Where the provider names the cairn user of a subscription (set it when creating the checkout). */
const USER_METADATA_KEY = 'cairn_user_id';
/** Where a price names the cairn plan it sells (else BILLING_PRICE_PLANS maps its id). */
const PLAN_METADATA_KEY = 'cairn_plan';

/** What happened to an event: applied, or ignored with the reason; a replay says so. */
export interface ReceivedEvent {
  eventId: string;
  duplicate: boolean;
  outcome: string;
}

interface Effect {
  outcome: string;
  userId?: string;
  jobs?: PublishedJob[];
}

// The provider's statuses onto cairn's; `incomplete` (first payment pending) grants nothing yet.
const statusMap: Record<string, SubscriptionStatus> = {
  trialing: 'trialing',
  active: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  paused: 'past_due',
  canceled: 'canceled',
  incomplete_expired: 'canceled',
};

function parseObject<T extends z.ZodType>(schema: T, event: BillingEvent): z.output<T> {
  const parsed = schema.safeParse(event.data.object);
  if (parsed.success) return parsed.data;
  const errors: FieldError[] = parsed.error.issues.slice(0, 20).map((issue) => ({
    pointer: `/body/data/object${issue.path.map((p) => `/${pointerSegment(String(p))}`).join('')}`,
    detail: issue.message,
  }));
  // Nothing is recorded, so the provider's retry applies the event once cairn reads its shape.
  throw validationFailed(`The ${event.type} event's object is not one cairn can read.`, errors, 422);
}

const eventTime = (event: BillingEvent) => new Date(event.created * 1000);
// An event older than the last one applied to the subscription would undo a newer state.
const isStale = (subscription: Subscription | null, event: BillingEvent) =>
  subscription?.externalEventAt != null &&
  subscription.externalEventAt.getTime() > eventTime(event).getTime();

async function subscriptionBy(tx: Tx, column: 'externalSubscriptionId' | 'externalCustomerId', id: string) {
  const [row] = await tx.select().from(subscriptions).where(eq(subscriptions[column], id)).limit(1);
  return row ?? null;
}

/** The stored mapping wins over metadata, so a subscription never moves between users. */
async function userOf(tx: Tx, object: StripeSubscription): Promise<string | null> {
  const known =
    (await subscriptionBy(tx, 'externalSubscriptionId', object.id)) ??
    (object.metadata[USER_METADATA_KEY]
      ? null
      : await subscriptionBy(tx, 'externalCustomerId', object.customer));
  const userId = known?.userId ?? object.metadata[USER_METADATA_KEY];
  return userId && userId.length <= 4096 ? userId : null;
}

async function applySubscriptionEvent(deps: Deps, tx: Tx, event: BillingEvent): Promise<Effect> {
  const object = parseObject(stripeSubscriptionSchema, event);
  const userId = await userOf(tx, object);
  if (!userId) return { outcome: 'ignored:unknown_user' };
  const existing = await lockSubscription(tx, userId);
  if (isStale(existing, event)) return { outcome: 'ignored:stale', userId };
  const deleted = event.type === 'customer.subscription.deleted';
  const status = deleted ? 'canceled' : statusMap[object.status];
  if (!status) return { outcome: `ignored:status_${object.status.slice(0, 32)}`, userId };
  // A user holds one subscription: a live new one replaces the stored one, but news of another
  // (an old one ending) must not touch the one in force.
  const other = existing?.externalSubscriptionId != null && existing.externalSubscriptionId !== object.id;
  if (other && status !== 'active' && status !== 'trialing')
    return { outcome: 'ignored:other_subscription', userId };
  const plan =
    object.price.metadata[PLAN_METADATA_KEY] ??
    deps.config.BILLING_PRICE_PLANS?.[object.price.id] ??
    (deleted ? existing?.plan : undefined);
  if (!plan) return { outcome: 'ignored:unmapped_price', userId };
  if (!(await planExists(tx, plan))) return { outcome: 'ignored:unknown_plan', userId };
  // A deleted subscription has ended: its plan stops now, not at the end of the paid period.
  const endedAt = deleted ? new Date((object.ended_at ?? event.created) * 1000) : undefined;
  const change = await writeSubscription(deps, tx, {
    userId,
    plan,
    status,
    currentPeriodStart: object.periodStart,
    currentPeriodEnd: endedAt && endedAt < object.periodEnd ? endedAt : object.periodEnd,
    cancelAtPeriodEnd: object.cancel_at_period_end,
    source: 'billing',
    externalCustomerId: object.customer,
    externalSubscriptionId: object.id,
    externalEventAt: eventTime(event),
  });
  return { outcome: 'applied', userId, jobs: change.jobs };
}

async function applyInvoiceEvent(deps: Deps, tx: Tx, event: BillingEvent): Promise<Effect> {
  const invoice = parseObject(stripeInvoiceSchema, event);
  const found =
    (invoice.subscription && (await subscriptionBy(tx, 'externalSubscriptionId', invoice.subscription))) ||
    (invoice.customer && (await subscriptionBy(tx, 'externalCustomerId', invoice.customer))) ||
    null;
  if (!found) return { outcome: 'ignored:unknown_subscription' };
  const subscription = await lockSubscription(tx, found.userId);
  if (!subscription) return { outcome: 'ignored:unknown_subscription' };
  const { userId } = subscription;
  if (isStale(subscription, event)) return { outcome: 'ignored:stale', userId };
  if (subscription.status === 'canceled') return { outcome: 'ignored:canceled', userId };
  // Paid: an unpaid subscription is in good standing again. Failed: it is unpaid until paid, and
  // falls back to free at period end if it stays so.
  const status: SubscriptionStatus =
    event.type === 'invoice.paid'
      ? subscription.status === 'past_due'
        ? 'active'
        : subscription.status
      : 'past_due';
  const [after = subscription] = await tx
    .update(subscriptions)
    .set({ status, externalEventAt: eventTime(event), updatedAt: deps.now() })
    .where(eq(subscriptions.id, subscription.id))
    .returning();
  await setUserPlan(tx, userId, planInForce(after, deps.now()));
  return { outcome: 'applied', userId };
}

const handlers: Record<string, (deps: Deps, tx: Tx, event: BillingEvent) => Promise<Effect>> = {
  'customer.subscription.created': applySubscriptionEvent,
  'customer.subscription.updated': applySubscriptionEvent,
  'customer.subscription.deleted': applySubscriptionEvent,
  'invoice.paid': applyInvoiceEvent,
  'invoice.payment_failed': applyInvoiceEvent,
};

/**
 * Applies one verified billing event exactly once. Its id is inserted into billing_events first,
 * in the transaction that applies it: a replay finds the row and changes nothing, and a concurrent
 * duplicate waits on the row's unique key until this transaction ends, then finds it. An event
 * whose object cannot be read (422) rolls back, leaving no row, so the provider's retry can apply it.
 */
export async function receiveBillingEvent(deps: Deps, event: BillingEvent): Promise<ReceivedEvent> {
  const result = await deps.db.transaction(async (tx) => {
    const [claimed] = await tx
      .insert(billingEvents)
      .values({ id: event.id, type: event.type, outcome: 'pending' })
      .onConflictDoNothing({ target: billingEvents.id })
      .returning({ id: billingEvents.id });
    if (!claimed) {
      const [stored] = await tx
        .select({ outcome: billingEvents.outcome })
        .from(billingEvents)
        .where(eq(billingEvents.id, event.id));
      return { duplicate: true, outcome: stored?.outcome ?? 'applied', effect: undefined };
    }
    const handler = handlers[event.type];
    const effect = handler ? await handler(deps, tx, event) : { outcome: 'ignored:unhandled_type' };
    await tx
      .update(billingEvents)
      .set({ outcome: effect.outcome, userId: effect.userId ?? null, receivedAt: sql`now()` })
      .where(eq(billingEvents.id, event.id));
    return { duplicate: false, outcome: effect.outcome, effect };
  });
  const { effect } = result;
  if (effect?.userId && effect.outcome === 'applied') evictUser(deps, effect.userId);
  if (effect?.jobs) await deps.queue.publish(effect.jobs);
  if (effect && effect.outcome !== 'applied') {
    // Types cairn does not handle are routine (an endpoint may receive every type); the rest deserve a look.
    const log = effect.outcome === 'ignored:unhandled_type' ? deps.logger.info : deps.logger.warn;
    log('billing event ignored', { event_id: event.id, event_type: event.type, outcome: effect.outcome });
  }
  return { eventId: event.id, duplicate: result.duplicate, outcome: result.outcome };
}
