import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const jobStatuses = ['queued', 'running', 'done', 'dead'] as const;
export type JobStatus = (typeof jobStatuses)[number];

/**
 * Background jobs: the queue itself on Node (polled with FOR UPDATE SKIP LOCKED), and the
 * record of attempts, errors and dead letters on every runtime. Messages carry only the id.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    // Singleton jobs (one pending per key) set this; ON CONFLICT DO NOTHING dedupes them.
    key: text('key'),
    status: text('status', { enum: jobStatuses }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    // Where the job came from: the W3C traceparent of the span that stored it (its spans join that
    // trace) and the id of the API request, for log lines. Null for jobs stored outside a request.
    traceparent: text('traceparent'),
    requestId: text('request_id'),
  },
  (t) => [
    index('jobs_queued_idx').on(t.runAt).where(sql`status = 'queued'`),
    index('jobs_running_idx').on(t.lockedUntil).where(sql`status = 'running'`),
    index('jobs_dead_idx').on(t.updatedAt, t.id).where(sql`status = 'dead'`),
    index('jobs_finished_idx').on(t.finishedAt).where(sql`status = 'done'`),
    uniqueIndex('jobs_pending_key_idx').on(t.key).where(sql`status in ('queued', 'running')`),
  ],
);
