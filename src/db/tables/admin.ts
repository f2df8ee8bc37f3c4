import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per action an admin takes (plan or status changes, user erasure, index activation, job
 * retries, ...): who, what, on which target, and the details needed to understand it later.
 */
export const adminAudit = pgTable(
  'admin_audit',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    // The admin's user id (JWT subject or API key owner); kept when that user is erased.
    actorId: text('actor_id').notNull(),
    // Dotted verb, e.g. `user.plan.change`, `user.erase`, `index.activate`, `job.retry`.
    action: text('action').notNull(),
    // What the action applied to, e.g. `user:alice`, `job:<uuid>`, `index:<id>`.
    target: text('target').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    requestId: text('request_id'),
  },
  (t) => [
    index('admin_audit_created_idx').on(t.createdAt, t.id),
    index('admin_audit_target_idx').on(t.target, t.createdAt),
  ],
);
