import {
  bigint,
  boolean,
  index,
  integer,
  numeric,
  pgTable,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const usageOperations = ['chat', 'chat_stream', 'embed'] as const;
export type UsageOperation = (typeof usageOperations)[number];

/**
 * One row per model call (after its retries), written in batches off the request path.
 * No foreign key to users: system calls (ingestion) and not-yet-seen subjects must still be
 * recorded, and the write must never wait on another table.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    requestId: text('request_id'),
    userId: text('user_id'),
    route: text('route'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    operation: text('operation', { enum: usageOperations }).notNull(),
    tokensIn: integer('tokens_in').notNull(),
    tokensOut: integer('tokens_out').notNull(),
    cachedTokensIn: integer('cached_tokens_in').notNull().default(0),
    reasoningTokens: integer('reasoning_tokens').notNull().default(0),
    // True when the provider reported no usage and the tokens were counted by cairn.
    tokensEstimated: boolean('tokens_estimated').notNull().default(false),
    costUsd: numeric('cost_usd', { precision: 18, scale: 10 }).notNull(),
    // False when the model is missing from the price table: cost is 0 and flagged.
    priced: boolean('priced').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    attempts: smallint('attempts').notNull(),
    status: text('status').notNull(),
  },
  (t) => [index('usage_events_user_created_idx').on(t.userId, t.createdAt)],
);

export type UsageEventRow = typeof usageEvents.$inferInsert;
