import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type JobStatus, jobs } from '../db/schema.ts';

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  /** At most one queued or running job per key; a duplicate is silently skipped. */
  key?: string;
  delayMs?: number;
  maxAttempts: number;
  /** The W3C traceparent of the work that stored the job, and its API request's id (src/queue/enqueue.ts). */
  traceparent?: string | undefined;
  requestId?: string | undefined;
}

export interface ClaimedJob {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  traceparent: string | null;
  requestId: string | null;
}

type Executor = Pick<Database, 'insert' | 'execute'>;

/** Stores jobs (inside the caller's transaction when given one) and returns the ids actually created. */
export async function insertJobs(db: Executor, specs: NewJob[]): Promise<{ id: string; delayMs: number }[]> {
  if (specs.length === 0) return [];
  const rows = await db
    .insert(jobs)
    .values(
      specs.map((s) => ({
        kind: s.kind,
        payload: s.payload,
        key: s.key ?? null,
        maxAttempts: s.maxAttempts,
        traceparent: s.traceparent ?? null,
        requestId: s.requestId ?? null,
        runAt: sql`now() + ${`${s.delayMs ?? 0} milliseconds`}::interval`,
      })),
    )
    .onConflictDoNothing({ target: jobs.key, where: sql`status in ('queued', 'running')` })
    .returning({
      id: jobs.id,
      delayMs: sql<number>`greatest(0, (extract(epoch from (${jobs.runAt} - now())) * 1000)::int)`,
    });
  return rows.map((r) => ({ id: r.id, delayMs: Number(r.delayMs) }));
}

const claimedColumns = sql`id, kind, payload, attempts, max_attempts as "maxAttempts", traceparent, request_id as "requestId"`;

/**
 * Takes up to `limit` due jobs for this worker (FOR UPDATE SKIP LOCKED, so concurrent
 * workers never take the same one), including running jobs whose lease has expired.
 * `horizonMs` also takes jobs due within that time (draining in tests and tools).
 */
export async function claimDueJobs(
  db: Database,
  options: { workerId: string; limit: number; leaseSeconds: number; horizonMs?: number },
): Promise<ClaimedJob[]> {
  return rowsOf<ClaimedJob>(
    await db.execute(sql`
      update jobs set status = 'running', attempts = attempts + 1, locked_by = ${options.workerId},
        locked_until = now() + ${`${options.leaseSeconds} seconds`}::interval, updated_at = now()
      where id in (
        select id from jobs
        where (status = 'queued' and run_at <= now() + ${`${options.horizonMs ?? 0} milliseconds`}::interval)
           or (status = 'running' and locked_until < now() and attempts < max_attempts)
        order by run_at
        limit ${options.limit}
        for update skip locked)
      returning ${claimedColumns}`),
  );
}

/**
 * Milliseconds until a job could next be claimed: the earliest queued job's run_at, or the end of
 * a running job's lease (its consumer may have died); null when there is neither.
 */
export async function msUntilNextDue(db: Database): Promise<number | null> {
  const [row] = rowsOf<{ ms: number | string | null }>(
    await db.execute(sql`
      select (extract(epoch from (least(
        (select min(run_at) from jobs where status = 'queued'),
        (select min(locked_until) from jobs where status = 'running' and attempts < max_attempts)
      ) - now())) * 1000)::int as ms`),
  );
  return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Number(row.ms));
}

/**
 * Takes one job by id (a queue message named it) when it is due: queued with its run_at passed,
 * or running on a lease that expired (its consumer died). Null otherwise: a duplicate message
 * for a job that is running, finished or dead, or one that came early (see `jobState`).
 */
export async function claimJob(
  db: Database,
  id: string,
  options: { workerId: string; leaseSeconds: number },
): Promise<ClaimedJob | null> {
  const [row] = rowsOf<ClaimedJob>(
    await db.execute(sql`
      update jobs set status = 'running', attempts = attempts + 1, locked_by = ${options.workerId},
        locked_until = now() + ${`${options.leaseSeconds} seconds`}::interval, updated_at = now()
      where id = ${id}
        and ((status = 'queued' and run_at <= now())
          or (status = 'running' and locked_until < now() and attempts < max_attempts))
      returning ${claimedColumns}`),
  );
  return row ?? null;
}

/** Where a job stands, for a message that could not claim it; null when no such job exists. */
export async function jobState(
  db: Database,
  id: string,
): Promise<{ status: JobStatus; dueInMs: number } | null> {
  const [row] = rowsOf<{ status: JobStatus; dueInMs: number }>(
    await db.execute(sql`
      select status, greatest(0, (extract(epoch from (run_at - now())) * 1000)::int) as "dueInMs"
      from jobs where id = ${id}`),
  );
  return row ? { status: row.status, dueInMs: Number(row.dueInMs) } : null;
}

/** Extends the lease of a job this worker is still running. */
export async function extendLease(db: Database, id: string, workerId: string, leaseSeconds: number) {
  await db.execute(sql`
    update jobs set locked_until = now() + ${`${leaseSeconds} seconds`}::interval
    where id = ${id} and status = 'running' and locked_by = ${workerId}`);
}

export async function completeJob(db: Database, id: string): Promise<void> {
  await db
    .update(jobs)
    .set({ status: 'done', lockedBy: null, lockedUntil: null, updatedAt: sql`now()`, finishedAt: sql`now()` })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'running')));
}

/** Puts a running job back in the queue without spending an attempt. */
export async function deferJob(db: Database, id: string, delayMs: number): Promise<void> {
  await db
    .update(jobs)
    .set({
      status: 'queued',
      attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
      runAt: sql`now() + ${`${delayMs} milliseconds`}::interval`,
      lockedBy: null,
      lockedUntil: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'running')));
}

/** How `last_error` starts when an attempt ran out of time (JOB_TIMEOUT_MS). */
export const JOB_TIMEOUT_PREFIX = 'job timed out:';

/**
 * Records a failed attempt: back to the queue after `retryDelayMs`, or into the dead-letter
 * store once the attempts are spent, at once when retrying cannot help (`permanent`), and when
 * the attempt ran out of time right after one that did (its `last_error` says so). Returns the
 * new status.
 */
export async function failJob(
  db: Database,
  id: string,
  failure: { error: string; retryDelayMs: number; permanent: boolean; timedOut?: boolean },
): Promise<'queued' | 'dead' | null> {
  const { error, retryDelayMs, permanent } = failure;
  const timedOutAgain = sql`(${failure.timedOut ?? false} and coalesce(${jobs.lastError}, '') like ${`${JOB_TIMEOUT_PREFIX}%`})`;
  const [row] = await db
    .update(jobs)
    .set({
      status: sql`case when ${permanent} or ${jobs.attempts} >= ${jobs.maxAttempts} or ${timedOutAgain} then 'dead' else 'queued' end`,
      runAt: sql`now() + ${`${retryDelayMs} milliseconds`}::interval`,
      lastError: error,
      lockedBy: null,
      lockedUntil: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'running')))
    .returning({ status: jobs.status });
  return (row?.status as 'queued' | 'dead' | undefined) ?? null;
}

/** Dead-letters a job whatever its state (the transport gave up on it); returns it if it changed. */
export async function buryJob(db: Database, id: string, error: string) {
  const [row] = await db
    .update(jobs)
    .set({
      status: 'dead',
      lastError: sql`coalesce(${jobs.lastError}, ${error})`,
      lockedBy: null,
      lockedUntil: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(jobs.id, id), inArray(jobs.status, ['queued', 'running'])))
    .returning({ kind: jobs.kind, payload: jobs.payload, lastError: jobs.lastError });
  return row ?? null;
}

/** Dead-letters running jobs whose lease expired on their last attempt (their worker died). */
export async function buryAbandonedJobs(db: Database) {
  return db
    .update(jobs)
    .set({
      status: 'dead',
      lastError: sql`coalesce(${jobs.lastError}, 'worker lost while running the last attempt')`,
      lockedBy: null,
      lockedUntil: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(jobs.status, 'running'),
        lt(jobs.lockedUntil, sql`now()`),
        sql`${jobs.attempts} >= ${jobs.maxAttempts}`,
      ),
    )
    .returning({ id: jobs.id, kind: jobs.kind, payload: jobs.payload, lastError: jobs.lastError });
}

/**
 * The embedded database has one process: whatever it was running when it stopped can run again
 * now, except a job that was on its last attempt (it may be what stopped the process): its lease
 * is ended instead, so the next maintenance pass buries it and calls its onDead, as for a worker
 * lost on PostgreSQL. Returns the number of jobs queued again.
 */
export async function releaseRunningJobs(db: Database): Promise<number> {
  await db
    .update(jobs)
    .set({ lockedUntil: sql`now() - interval '1 millisecond'`, updatedAt: sql`now()` })
    .where(and(eq(jobs.status, 'running'), sql`${jobs.attempts} >= ${jobs.maxAttempts}`));
  const rows = await db
    .update(jobs)
    .set({ status: 'queued', lockedBy: null, lockedUntil: null, runAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(jobs.status, 'running'), sql`${jobs.attempts} < ${jobs.maxAttempts}`))
    .returning({ id: jobs.id });
  return rows.length;
}

/**
 * Jobs a queue should have delivered by now, for a transport that can lose them (Cloudflare
 * Queues: the send after the commit can fail, an invocation can die mid-job): queued and due
 * for more than `graceMs`, or running on a lease that expired more than `graceMs` ago with
 * attempts left. Each is stamped (updated_at), so it is returned at most once per `graceMs`
 * however many passes overlap; a duplicate delivery is harmless (claimJob takes a job once).
 */
export async function staleQueuedJobs(
  db: Database,
  options: { graceMs: number; limit: number },
): Promise<{ id: string }[]> {
  const grace = sql`${`${options.graceMs} milliseconds`}::interval`;
  return rowsOf<{ id: string }>(
    await db.execute(sql`
      update jobs set updated_at = now()
      where id in (
        select id from jobs
        where ((status = 'queued' and run_at < now() - ${grace})
            or (status = 'running' and locked_until < now() - ${grace} and attempts < max_attempts))
          and updated_at < now() - ${grace}
        order by run_at
        limit ${options.limit}
        for update skip locked)
      returning id`),
  );
}

/**
 * Stores a job straight into the dead-letter store: a queue message that named no job that can
 * run (its body did not parse, or its job does not exist), kept with the reason so an admin
 * sees it rather than a log line alone.
 */
export async function insertDeadJob(
  db: Database,
  dead: { kind: string; payload: Record<string, unknown>; error: string },
): Promise<string> {
  const [row] = await db
    .insert(jobs)
    .values({ kind: dead.kind, payload: dead.payload, status: 'dead', maxAttempts: 1, lastError: dead.error })
    .returning({ id: jobs.id });
  return row!.id;
}

/** Removes finished jobs older than the retention window; dead ones stay until re-driven. */
export async function deleteFinishedJobs(db: Database, olderThanHours: number): Promise<void> {
  await db
    .delete(jobs)
    .where(
      and(eq(jobs.status, 'done'), lt(jobs.finishedAt, sql`now() - ${`${olderThanHours} hours`}::interval`)),
    );
}

/** Re-drives a dead job with fresh attempts; null when it is not dead (or does not exist). */
export async function reviveJob(db: Database, id: string) {
  const [row] = await db
    .update(jobs)
    .set({ status: 'queued', attempts: 0, runAt: sql`now()`, updatedAt: sql`now()`, finishedAt: null })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'dead')))
    .returning({ id: jobs.id, kind: jobs.kind, payload: jobs.payload });
  return row ?? null;
}
