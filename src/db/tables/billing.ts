import {
  bigint,
  boolean,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

export const subscriptionStatuses = ['trialing', 'active', 'past_due', 'canceled'] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

/** Who manages a subscription: an admin (periods roll monthly here) or the billing provider's webhooks. */
export const subscriptionSources = ['admin', 'billing'] as const;
export type SubscriptionSource = (typeof subscriptionSources)[number];

/**
 * A user's subscription (at most one). The plan in force follows it: `users.plan` is updated with
 * every change, and a canceled or unpaid subscription falls back to `free` at period end.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull().unique(),
    plan: text('plan').notNull(),
    status: text('status', { enum: subscriptionStatuses }).notNull(),
    currentPeriodStart: timestamp('current_period_start', { withTimezone: true }).notNull(),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }).notNull(),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    source: text('source', { enum: subscriptionSources }).notNull().default('billing'),
    // The billing provider's ids (Stripe's customer and subscription ids).
    externalCustomerId: text('external_customer_id'),
    externalSubscriptionId: text('external_subscription_id').unique(),
    // `created` of the last provider event applied: an older event arriving late changes nothing.
    externalEventAt: timestamp('external_event_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The maintenance step looks for periods that have ended.
    index('subscriptions_period_end_idx').on(t.currentPeriodEnd),
    index('subscriptions_customer_idx').on(t.externalCustomerId),
  ],
);

/**
 * Inbound billing events, one row per provider event id, inserted in the transaction that applies
 * the event: a replay or a concurrent duplicate finds the row and changes nothing.
 */
export const billingEvents = pgTable(
  'billing_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    // `applied`, or `ignored:<reason>` (unknown type, unknown user or plan, an older event).
    outcome: text('outcome').notNull(),
    userId: text('user_id'),
  },
  (t) => [index('billing_events_received_idx').on(t.receivedAt)],
);

/**
 * Usage per subscription period (requests, tokens, cost from usage_events), produced once per
 * period when it ends and, with BILLING_USAGE_WEBHOOK_URL set, delivered through the job queue.
 */
export const usageRecords = pgTable(
  'usage_records',
  {
    id: uuid('id').primaryKey(),
    subscriptionId: uuid('subscription_id').notNull(),
    userId: text('user_id').notNull(),
    plan: text('plan').notNull(),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    requests: integer('requests').notNull(),
    tokensIn: bigint('tokens_in', { mode: 'number' }).notNull(),
    tokensOut: bigint('tokens_out', { mode: 'number' }).notNull(),
    costUsd: numeric('cost_usd', { precision: 18, scale: 10 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    // Set when the receiver answered 2xx; the last failure otherwise (the job retries, then dead-letters).
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    deliveryError: text('delivery_error'),
  },
  (t) => [
    unique('usage_records_period_key').on(t.subscriptionId, t.periodStart),
    index('usage_records_created_idx').on(t.createdAt, t.id),
  ],
);
