import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const userStatuses = ['active', 'disabled'] as const;
export type UserStatus = (typeof userStatuses)[number];

/** Users appear on first authenticated request; id is the JWT subject. */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  role: text('role', { enum: ['user', 'admin'] })
    .notNull()
    .default('user'),
  // The plan in force, kept in step with the user's subscription (free without one).
  plan: text('plan').notNull().default('free'),
  // A disabled user is refused (403) on every authenticated route.
  status: text('status', { enum: userStatuses }).notNull().default('active'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
});
