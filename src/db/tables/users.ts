import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Users appear on first authenticated request; id is the JWT subject. */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  role: text('role', { enum: ['user', 'admin'] })
    .notNull()
    .default('user'),
  plan: text('plan').notNull().default('free'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
});
