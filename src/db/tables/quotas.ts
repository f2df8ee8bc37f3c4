import { bigint, date, integer, numeric, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A plan and its quotas per period; null means unlimited. Daily quotas reset at 00:00 UTC, monthly
 * ones with the subscription's period (the calendar month, UTC, without one). Plans are never
 * deleted: users and subscriptions name them, so an admin retires one by editing it.
 */
export const plans = pgTable('plans', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  modelRequestsPerDay: integer('model_requests_per_day'),
  tokensPerMonth: bigint('tokens_per_month', { mode: 'number' }),
  costUsdPerMonth: numeric('cost_usd_per_month', { precision: 14, scale: 4 }),
  agentRunsPerDay: integer('agent_runs_per_day'),
  documents: integer('documents'),
  storedBytes: bigint('stored_bytes', { mode: 'number' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per user: what the current day and the current monthly period have used, and what
 * requests in progress have reserved. A single row, so one conditional UPDATE checks every quota
 * of a reservation at once (all or nothing) under the row lock; a new day or period resets its
 * counters inside that same statement (src/billing/quotas/quota-store.ts).
 */
export const quotaUsage = pgTable('quota_usage', {
  userId: text('user_id').primaryKey(),
  // The UTC day the daily counters belong to.
  day: date('day', { mode: 'string' }).notNull(),
  requestsUsed: integer('requests_used').notNull().default(0),
  requestsReserved: integer('requests_reserved').notNull().default(0),
  agentRunsUsed: integer('agent_runs_used').notNull().default(0),
  agentRunsReserved: integer('agent_runs_reserved').notNull().default(0),
  // The monthly period the token and cost counters belong to.
  periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
  periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
  tokensUsed: bigint('tokens_used', { mode: 'number' }).notNull().default(0),
  tokensReserved: bigint('tokens_reserved', { mode: 'number' }).notNull().default(0),
  costUsedUsd: numeric('cost_used_usd', { precision: 18, scale: 10 }).notNull().default('0'),
  costReservedUsd: numeric('cost_reserved_usd', { precision: 18, scale: 10 }).notNull().default('0'),
  // Last reservation or settlement: reservations of a row idle past QUOTA_RESERVATION_TTL_S
  // belong to requests that can no longer be running (a crashed instance) and are dropped.
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
