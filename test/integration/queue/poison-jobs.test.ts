import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { jobHandlers } from '../../../src/job-handlers.ts';
import { drainJobs } from '../../../src/queue/drain-jobs.ts';
import { enqueueJobs } from '../../../src/queue/enqueue.ts';
import { createJobConsumer } from '../../../src/queue/job-consumer.ts';
import type { JobHandlers } from '../../../src/queue/job-handler.ts';
import { claimJob, jobState, releaseRunningJobs, staleQueuedJobs } from '../../../src/queue/jobs-store.ts';
import { JOB_INGEST } from '../../../src/rag/job-kinds.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

const jobRow = async (t: TestApp, id: string) =>
  rowsOf<{ status: string; attempts: number; last_error: string | null }>(
    await t.deps.db.execute(sql`select status, attempts, last_error from jobs where id = ${id}`),
  )[0]!;

async function until(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(databaseKinds)('poison jobs on %s end in the dead-letter store, never retried', (kind) => {
  const t = useTestApp(kind, {
    env: {
      JOB_MAX_ATTEMPTS: '5',
      JOB_BACKOFF_BASE_MS: '0',
      JOB_BACKOFF_MAX_MS: '0',
      JOB_POLL_INTERVAL_MS: '20',
    },
  });

  it('a job of a kind no handler knows: dead on its first attempt, saying so', async () => {
    const [id] = await enqueueJobs(t.deps, [{ kind: 'no.such.kind', payload: {}, maxAttempts: 5 }]);
    await drainJobs(t.deps, jobHandlers, { horizonMs: 60_000 });
    expect(await jobRow(t, id!)).toEqual({
      status: 'dead',
      attempts: 1,
      last_error: 'no handler for job kind "no.such.kind"',
    });
  });

  it.each([
    ['fields of the wrong type', { documentId: 'not-a-uuid', indexVersionId: -1 }],
    ['no fields at all', {}],
  ])('an ingestion job whose payload does not parse (%s): dead on its first attempt', async (_, payload) => {
    const [id] = await enqueueJobs(t.deps, [{ kind: JOB_INGEST, payload, maxAttempts: 5 }]);
    await drainJobs(t.deps, jobHandlers, { horizonMs: 60_000 });
    const job = await jobRow(t, id!);
    expect(job).toMatchObject({ status: 'dead', attempts: 1 });
    expect(job.last_error).toMatch(/^invalid job payload:/);
  });

  it('a job running on its last attempt when the embedded process stopped is buried, not run again', async () => {
    const dead: string[] = [];
    let runs = 0;
    const handlers: JobHandlers = {
      'test.crashes-the-process': {
        async run() {
          runs++;
          return undefined;
        },
        async onDead(_deps, payload, error) {
          dead.push(`${payload.n}: ${error}`);
        },
      },
    };
    const [last, earlier] = await enqueueJobs(t.deps, [
      { kind: 'test.crashes-the-process', payload: { n: 1 }, maxAttempts: 3 },
      { kind: 'test.crashes-the-process', payload: { n: 2 }, maxAttempts: 3 },
    ]);
    // What a process killed mid-job leaves: both running on a lease that has not expired yet.
    await t.deps.db.execute(sql`update jobs set status = 'running', attempts = 3, locked_by = 'killed',
      locked_until = now() + interval '1 hour' where id = ${last}`);
    await t.deps.db.execute(sql`update jobs set status = 'running', attempts = 1, locked_by = 'killed',
      locked_until = now() + interval '1 hour' where id = ${earlier}`);

    expect(await releaseRunningJobs(t.deps.db)).toBe(1);
    const consumer = createJobConsumer({ deps: t.deps, handlers });
    await consumer.start();
    await until(async () => (await jobRow(t, last!)).status === 'dead' && runs === 1);
    await consumer.stop();
    expect(await jobRow(t, last!)).toEqual({
      status: 'dead',
      attempts: 3,
      last_error: 'worker lost while running the last attempt',
    });
    expect(dead).toEqual(['1: worker lost while running the last attempt']);
    expect(await jobRow(t, earlier!)).toMatchObject({ status: 'done', attempts: 2 });
  });
});

describe.each(databaseKinds)('message delivery helpers of the jobs store on %s', (kind) => {
  const t = useTestApp(kind);
  const claim = (id: string) => claimJob(t.deps.db, id, { workerId: 'messages', leaseSeconds: 60 });

  it('claims a job once: a duplicate message for a running or finished job takes nothing', async () => {
    const [id] = await enqueueJobs(t.deps, [{ kind: 'test.once', payload: {}, maxAttempts: 3 }]);
    expect(await claim(id!)).toMatchObject({ id, attempts: 1 });
    expect(await claim(id!)).toBeNull();
    expect(await jobState(t.deps.db, id!)).toEqual({ status: 'running', dueInMs: expect.any(Number) });
    // Its consumer died: once the lease has expired, a message may take it over.
    await t.deps.db.execute(sql`update jobs set locked_until = now() - interval '1 second' where id = ${id}`);
    expect(await claim(id!)).toMatchObject({ id, attempts: 2 });
  });

  it('does not take a job before it is due, and says when it will be', async () => {
    const [id] = await enqueueJobs(t.deps, [
      { kind: 'test.later', payload: {}, maxAttempts: 3, delayMs: 30_000 },
    ]);
    expect(await claim(id!)).toBeNull();
    const state = await jobState(t.deps.db, id!);
    expect(state?.status).toBe('queued');
    expect(state?.dueInMs).toBeGreaterThan(25_000);
    expect(await jobState(t.deps.db, crypto.randomUUID())).toBeNull();
  });

  it('finds jobs a lost message stranded, once per grace period', async () => {
    const [lost, fresh, expired, lastAttempt, notDue] = await enqueueJobs(t.deps, [
      { kind: 'test.stale', payload: { n: 1 }, maxAttempts: 3 },
      { kind: 'test.stale', payload: { n: 2 }, maxAttempts: 3 },
      { kind: 'test.stale', payload: { n: 3 }, maxAttempts: 3 },
      { kind: 'test.stale', payload: { n: 4 }, maxAttempts: 3 },
      { kind: 'test.stale', payload: { n: 5 }, maxAttempts: 3, delayMs: 3_600_000 },
    ]);
    const ago = sql`now() - interval '5 minutes'`;
    await t.deps.db.execute(sql`update jobs set run_at = ${ago}, updated_at = ${ago} where id = ${lost}`);
    await t.deps.db.execute(sql`update jobs set status = 'running', attempts = 1, run_at = ${ago},
      updated_at = ${ago}, locked_until = ${ago} where id = ${expired}`);
    await t.deps.db.execute(sql`update jobs set status = 'running', attempts = 3, run_at = ${ago},
      updated_at = ${ago}, locked_until = ${ago} where id = ${lastAttempt}`);
    const mine = (rows: { id: string }[]) =>
      rows.map((r) => r.id).filter((id) => [lost, fresh, expired, lastAttempt, notDue].includes(id));

    const first = await staleQueuedJobs(t.deps.db, { graceMs: 60_000, limit: 100 });
    expect(mine(first).sort()).toEqual([lost, expired].sort());
    // Stamped: the next pass within the grace period leaves them alone.
    expect(mine(await staleQueuedJobs(t.deps.db, { graceMs: 60_000, limit: 100 }))).toEqual([]);
  });
});
