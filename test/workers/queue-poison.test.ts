import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { JobHandlers } from '../../src/queue/job-handler.ts';
import type { PublishedJob } from '../../src/queue/job-queue.ts';
import { insertJobs } from '../../src/queue/jobs-store.ts';
import worker from '../../workers/api.ts';
import type { Env } from '../../workers/env.ts';
import {
  consumeJobBatch,
  DEAD_LETTER_QUEUE,
  INVALID_MESSAGE_KIND,
  UNKNOWN_JOB_KIND,
} from '../../workers/queue-consumer.ts';
import { requestDatabase } from '../../workers/request-database.ts';

const env = bindings as unknown as Env;

type Row = { id: string; kind: string; status: string; attempts: number; last_error: string | null };

const jobRow = async (id: string) =>
  rowsOf<Row>(
    await requestDatabase(env).execute(
      sql`select id, kind, status, attempts, last_error from jobs where id = ${id}`,
    ),
  )[0];

/** The dead jobs that record the poison message `messageId`. */
const poisonRecords = async (messageId: string) =>
  rowsOf<Row>(
    await requestDatabase(env).execute(sql`select id, kind, status, attempts, last_error from jobs
      where status = 'dead' and payload->>'messageId' = ${messageId}`),
  );

/** Hands raw message bodies to the Worker's queue handler as Cloudflare would. */
async function deliver(queue: string, bodies: { id: string; body: unknown }[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map(({ id, body }) => ({ id, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<{ jobId: string }>, env, ctx);
  return getQueueResult(batch, ctx);
}

describe('poison messages on the Cloudflare Queues consumer', () => {
  it('records each message that names no runnable job in the dead-letter store, and acknowledges it', async () => {
    const run = crypto.randomUUID();
    const [unknownKind] = await insertJobs(requestDatabase(env), [
      { kind: 'no.such.kind', payload: {}, maxAttempts: 3 },
    ]);
    const missing = crypto.randomUUID();
    const messages = [
      { id: `${run}-empty`, body: {} },
      { id: `${run}-text`, body: 'not json at all' },
      { id: `${run}-bad-id`, body: { jobId: "1'; drop table jobs; --" } },
      { id: `${run}-nul`, body: { jobId: 'x\u0000y', note: '\uD83D' } },
      { id: `${run}-missing`, body: { jobId: missing } },
      { id: `${run}-unknown-kind`, body: { jobId: unknownKind!.id } },
    ];
    const result = await deliver('cairn-jobs', messages);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());

    for (const suffix of ['empty', 'text', 'bad-id', 'nul']) {
      const [record] = await poisonRecords(`${run}-${suffix}`);
      expect(record).toMatchObject({ kind: INVALID_MESSAGE_KIND, status: 'dead' });
      expect(record!.last_error).toMatch(/^poison message: the body names no job/);
    }
    const [unknownJob] = await poisonRecords(`${run}-missing`);
    expect(unknownJob).toMatchObject({ kind: UNKNOWN_JOB_KIND, status: 'dead' });
    expect(unknownJob!.last_error).toBe(
      `poison message: job ${missing} does not exist (never stored, or deleted after it finished)`,
    );
    expect(await jobRow(unknownKind!.id)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: 'no handler for job kind "no.such.kind"',
    });

    // Delivered again (the ack was lost): the job is dead already, so nothing more happens.
    const again = await deliver('cairn-jobs', [{ id: `${run}-again`, body: { jobId: unknownKind!.id } }]);
    expect(again.explicitAcks).toEqual([`${run}-again`]);
    expect(await poisonRecords(`${run}-again`)).toEqual([]);
  });

  it('records a dead-letter-queue message for a job that does not exist', async () => {
    const id = `dlq-${crypto.randomUUID()}`;
    const missing = crypto.randomUUID();
    const result = await deliver(DEAD_LETTER_QUEUE, [{ id, body: { jobId: missing } }]);
    expect(result.explicitAcks).toEqual([id]);
    expect(await poisonRecords(id)).toMatchObject([{ kind: UNKNOWN_JOB_KIND, status: 'dead' }]);
  });
});

describe('duplicate and early messages on the Cloudflare Queues consumer', () => {
  function recordingDeps(overrides: Record<string, string> = {}) {
    const published: PublishedJob[] = [];
    const deps = completeDeps(
      buildDeps({
        config: loadConfig({ ...env, LOG_LEVEL: 'silent', ...overrides }),
        logger: createLogger({ level: 'silent', write: () => {} }),
        queue: { publish: async (jobs) => void published.push(...jobs) },
      }),
      requestDatabase(env),
      { record: () => {}, recordRequest: () => {}, flush: async () => {} },
    );
    return { deps, published };
  }
  const batchOf = (jobIds: string[]) =>
    createMessageBatch(
      'cairn-jobs',
      jobIds.map((jobId) => ({
        id: `m-${crypto.randomUUID()}`,
        timestamp: new Date(),
        attempts: 1,
        body: { jobId },
      })),
    ) as MessageBatch<{ jobId: string }>;

  it('leaves a job that is running alone, and re-sends one that is not due yet for when it is', async () => {
    const { deps, published } = recordingDeps();
    let runs = 0;
    const handlers: JobHandlers = { 'test.counted': { run: async () => void runs++ } };
    const db = requestDatabase(env);
    const [running, later] = await insertJobs(db, [
      { kind: 'test.counted', payload: {}, maxAttempts: 3 },
      { kind: 'test.counted', payload: {}, maxAttempts: 3, delayMs: 120_000 },
    ]);
    await db.execute(sql`update jobs set status = 'running', attempts = 1, locked_by = 'other',
      locked_until = now() + interval '10 minutes' where id = ${running!.id}`);
    const batch = batchOf([running!.id, later!.id]);
    const ctx = createExecutionContext();
    await consumeJobBatch(batch, deps, handlers);
    const result = await getQueueResult(batch, ctx);
    expect(runs).toBe(0);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
    expect(await jobRow(running!.id)).toMatchObject({ status: 'running', attempts: 1 });
    expect(published).toHaveLength(1);
    expect(published[0]!.id).toBe(later!.id);
    expect(published[0]!.delayMs).toBeGreaterThan(100_000);
  });
});

describe('the time budget of a job on the Cloudflare Queues consumer', () => {
  it('fails an attempt past JOB_TIMEOUT_MS with a lease covering it; out of time twice in a row, it is dead', async () => {
    const published: PublishedJob[] = [];
    const deps = completeDeps(
      buildDeps({
        config: loadConfig({
          ...env,
          LOG_LEVEL: 'silent',
          JOB_TIMEOUT_MS: '200',
          JOB_LEASE_S: '5',
          JOB_BACKOFF_BASE_MS: '0',
          JOB_BACKOFF_MAX_MS: '0',
        }),
        logger: createLogger({ level: 'silent', write: () => {} }),
        queue: { publish: async (jobs) => void published.push(...jobs) },
      }),
      requestDatabase(env),
      { record: () => {}, recordRequest: () => {}, flush: async () => {} },
    );
    const leases: number[] = [];
    const handlers: JobHandlers = {
      'test.stuck': {
        async run(runDeps, _payload, job) {
          const [row] = rowsOf<{ lease_s: number }>(
            await runDeps.db.execute(
              sql`select extract(epoch from (locked_until - now()))::int as lease_s from jobs where id = ${job.id}`,
            ),
          );
          leases.push(Number(row!.lease_s));
          return new Promise(() => {});
        },
      },
    };
    const [job] = await insertJobs(requestDatabase(env), [
      { kind: 'test.stuck', payload: {}, maxAttempts: 5 },
    ]);
    const deliverOnce = async () => {
      const batch = createMessageBatch('cairn-jobs', [
        { id: `t-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: { jobId: job!.id } },
      ]) as MessageBatch<{ jobId: string }>;
      const ctx = createExecutionContext();
      await consumeJobBatch(batch, deps, handlers);
      return getQueueResult(batch, ctx);
    };

    const first = await deliverOnce();
    expect(first.retryMessages).toHaveLength(1);
    const afterFirst = await jobRow(job!.id);
    expect(afterFirst).toMatchObject({ status: 'queued', attempts: 1 });
    expect(afterFirst!.last_error).toMatch(/^job timed out: the attempt ran longer than its 200 ms budget/);
    // JOB_LEASE_S is 5 s, but nothing renews a lease on Workers: it covers the whole budget and more.
    expect(leases[0]).toBeGreaterThan(55);

    const second = await deliverOnce();
    expect(second.explicitAcks).toHaveLength(1);
    expect(await jobRow(job!.id)).toMatchObject({ status: 'dead', attempts: 2 });
  });
});
