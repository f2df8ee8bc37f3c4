import { customType, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * Rate-limit counters, one row per subject and route class: `windows` maps each policy
 * name to [window start epoch ms, count], so one upsert checks and counts every policy.
 */
export const rateLimitBuckets = pgTable(
  'rate_limit_buckets',
  {
    key: text('key').primaryKey(),
    windows: jsonb('windows').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('rate_limit_buckets_expires_at_idx').on(t.expiresAt)],
);

/** Idempotency keys (hashed with caller and route): the running holder, then the stored response. */
export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    key: text('key').primaryKey(),
    fingerprint: text('fingerprint').notNull(),
    lease: text('lease').notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers'),
    responseBody: bytea('response_body'),
  },
  (t) => [index('idempotency_records_expires_at_idx').on(t.expiresAt)],
);
