import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { createDatabaseQueue } from '../../../src/queue/database-queue.ts';
import { enqueueJobs } from '../../../src/queue/enqueue.ts';
import { createJobConsumer, type JobConsumer } from '../../../src/queue/job-consumer.ts';
import type { JobHandlers } from '../../../src/queue/job-handler.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { countingStatements } from '../../helpers/statement-count.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/**
 * Handlers that record what they run. A consumer claims any due job in the table, whoever queued
 * it, so each test keeps a recorder of its own and asserts on the runs of the ids it enqueued.
 */
function recorder() {
  const runs: { id: string; worker: string; n: number }[] = [];
  const dead: string[] = [];
  let failuresLeft = 0;
  return {
    dead,
    /** The runs of these jobs, in the order they ran. */
    runsOf: (ids: readonly (string | undefined)[]) => runs.filter((r) => ids.includes(r.id)),
    failNext(n: number) {
      failuresLeft = n;
    },
    handlers: (worker: string): JobHandlers => ({
      'test.record': {
        async run(_deps, payload, job) {
          runs.push({ id: job.id, worker, n: Number(payload.n) });
          await sleep(5);
          return undefined;
        },
      },
      'test.flaky': {
        async run() {
          if (failuresLeft-- > 0) throw new Error('not yet');
          return undefined;
        },
        async onDead(_deps, payload) {
          dead.push(String(payload.n));
        },
      },
    }),
  };
}

describe.each(databaseKinds)('the polling job consumer on %s', (kind) => {
  const t = useTestApp(kind, {
    env: {
      JOB_POLL_INTERVAL_MS: '20',
      JOB_BACKOFF_BASE_MS: '10',
      JOB_BACKOFF_MAX_MS: '20',
      JOB_MAX_ATTEMPTS: '3',
    },
  });
  const statusOf = async (id: string) =>
    rowsOf<{ status: string; attempts: number }>(
      await t.deps.db.execute(sql`select status, attempts from jobs where id = ${id}`),
    )[0]!;

  it('runs every published job once, woken at once by a publish in this process', async () => {
    const log = recorder();
    let consumer: JobConsumer | undefined;
    const local = { ...t.deps, queue: createDatabaseQueue({ onPublish: () => consumer?.wake() }) };
    consumer = createJobConsumer({
      deps: { ...local, config: { ...t.deps.config, JOB_POLL_INTERVAL_MS: 60_000 } },
      handlers: log.handlers('a'),
    });
    await consumer.start();
    const ids = await enqueueJobs(
      local,
      [1, 2, 3].map((n) => ({ kind: 'test.record', payload: { n }, maxAttempts: 3 })),
    );
    await until(async () => log.runsOf(ids).length === 3);
    await consumer.stop();
    expect(
      log
        .runsOf(ids)
        .map((r) => r.n)
        .sort(),
    ).toEqual([1, 2, 3]);
    for (const id of ids) expect((await statusOf(id)).status).toBe('done');
  });

  it('two consumers sharing the table never run the same job twice', async () => {
    const log = recorder();
    const a = createJobConsumer({ deps: t.deps, handlers: log.handlers('a') });
    const b = createJobConsumer({ deps: t.deps, handlers: log.handlers('b') });
    const ids = await enqueueJobs(
      t.deps,
      Array.from({ length: 30 }, (_, n) => ({ kind: 'test.record', payload: { n }, maxAttempts: 3 })),
    );
    await Promise.all([a.start(), b.start()]);
    await until(async () => log.runsOf(ids).length >= 30);
    await Promise.all([a.stop(), b.stop()]);
    expect(log.runsOf(ids)).toHaveLength(30);
    expect(new Set(log.runsOf(ids).map((r) => r.id))).toEqual(new Set(ids));
  });

  it('retries a failing job with backoff, then dead-letters it and calls onDead', async () => {
    const log = recorder();
    log.failNext(99);
    const consumer = createJobConsumer({ deps: t.deps, handlers: log.handlers('a') });
    const [id] = await enqueueJobs(t.deps, [{ kind: 'test.flaky', payload: { n: 7 }, maxAttempts: 3 }]);
    await consumer.start();
    await until(async () => (await statusOf(id!)).status === 'dead');
    await consumer.stop();
    expect(await statusOf(id!)).toEqual({ status: 'dead', attempts: 3 });
    expect(log.dead).toEqual(['7']);
  });

  it('resumes jobs a stopped process left running: at start on the embedded database, after the lease elsewhere', async () => {
    const log = recorder();
    const [held, expired] = await enqueueJobs(t.deps, [
      { kind: 'test.record', payload: { n: 100 }, maxAttempts: 3 },
      { kind: 'test.record', payload: { n: 200 }, maxAttempts: 3 },
    ]);
    // A crashed worker's claims: one lease still valid for an hour, one already expired.
    await t.deps.db.execute(sql`update jobs set status = 'running', attempts = 1, locked_by = 'crashed',
      locked_until = now() + interval '1 hour' where id = ${held}`);
    await t.deps.db.execute(sql`update jobs set status = 'running', attempts = 1, locked_by = 'crashed',
      locked_until = now() - interval '1 second' where id = ${expired}`);
    const shared = createJobConsumer({ deps: t.deps, handlers: log.handlers('shared') });
    await shared.start();
    await until(async () => log.runsOf([held, expired]).length === 1);
    await shared.stop();
    expect(log.runsOf([held, expired]).map((r) => r.n)).toEqual([200]);

    const embedded = createJobConsumer({
      deps: t.deps,
      handlers: log.handlers('embedded'),
      exclusive: true,
    });
    await embedded.start();
    await until(async () => log.runsOf([held, expired]).length === 2);
    await embedded.stop();
    expect(log.runsOf([held, expired]).map((r) => r.n)).toEqual([200, 100]);
  });

  it('on an exclusive database an idle consumer sleeps until a job is due, woken by publishes and retries', async () => {
    const log = recorder();
    log.failNext(1);
    let consumer: JobConsumer | undefined;
    const local = { ...t.deps, queue: createDatabaseQueue({ onPublish: () => consumer?.wake() }) };
    await countingStatements(t.deps.db, 'for update skip locked', async (claims) => {
      consumer = createJobConsumer({ deps: local, handlers: log.handlers('a'), exclusive: true });
      await consumer.start();
      await sleep(500);
      // Polling every JOB_POLL_INTERVAL_MS (20 ms) would have claimed about 25 times.
      expect(claims()).toBeLessThanOrEqual(2);

      const started = Date.now();
      const [delayed] = await enqueueJobs(local, [
        { kind: 'test.record', payload: { n: 1 }, maxAttempts: 3, delayMs: 300 },
      ]);
      const [flaky] = await enqueueJobs(local, [{ kind: 'test.flaky', payload: { n: 2 }, maxAttempts: 3 }]);
      await until(async () => log.runsOf([delayed]).length === 1, 5_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await until(async () => (await statusOf(flaky!)).status === 'done', 5_000);
      expect(await statusOf(flaky!)).toEqual({ status: 'done', attempts: 2 });
      await consumer.stop();
    });
  });

  it('stop() lets the job in flight finish', async () => {
    let finished = false;
    const consumer = createJobConsumer({
      deps: t.deps,
      handlers: {
        'test.slow': {
          async run() {
            await sleep(200);
            finished = true;
            return undefined;
          },
        },
      },
    });
    const [id] = await enqueueJobs(t.deps, [{ kind: 'test.slow', payload: {}, maxAttempts: 1 }]);
    await consumer.start();
    await until(async () => (await statusOf(id!)).status === 'running');
    await consumer.stop();
    expect(finished).toBe(true);
    expect((await statusOf(id!)).status).toBe('done');
  });
});
