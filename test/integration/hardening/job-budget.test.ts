import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { jobHandlers } from '../../../src/job-handlers.ts';
import { createOffloadPool } from '../../../src/node/offload-pool.ts';
import { drainJobs } from '../../../src/queue/drain-jobs.ts';
import { enqueueJobs } from '../../../src/queue/enqueue.ts';
import type { JobHandlers } from '../../../src/queue/job-handler.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../../src/rag/documents/documents.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { filePost } from '../../helpers/rag.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

const jobRow = async (t: TestApp, id: string) =>
  rowsOf<{ status: string; attempts: number; last_error: string | null }>(
    await t.deps.db.execute(sql`select status, attempts, last_error from jobs where id = ${id}`),
  )[0]!;

describe.each(databaseKinds)('the time budget of a job on %s', (kind) => {
  const t = useTestApp(kind, {
    env: { JOB_TIMEOUT_MS: '200', JOB_MAX_ATTEMPTS: '5', JOB_BACKOFF_BASE_MS: '0', JOB_BACKOFF_MAX_MS: '0' },
  });
  const dead: string[] = [];
  let hangs = 0;
  const handlers: JobHandlers = {
    // Never finishes: a job stuck on something that will not end.
    'test.stuck': {
      run: () => new Promise(() => {}),
      async onDead(_deps, payload, error) {
        dead.push(`${payload.n}: ${error}`);
      },
    },
    // Stuck once, then fine: running out of time is retried like any failure.
    'test.slow-once': {
      run: () => (hangs++ === 0 ? new Promise(() => {}) : Promise.resolve(undefined)),
    },
  };
  const drain = () => drainJobs(t.deps, handlers, { horizonMs: 60_000 });

  it('fails an attempt past JOB_TIMEOUT_MS, and a job out of time twice in a row is dead, not retried', async () => {
    const [id] = await enqueueJobs(t.deps, [{ kind: 'test.stuck', payload: { n: 1 }, maxAttempts: 5 }]);
    expect(await drain()).toBe(2);
    const job = await jobRow(t, id!);
    expect(job).toMatchObject({ status: 'dead', attempts: 2 });
    expect(job.last_error).toMatch(/^job timed out: the attempt ran longer than its 200 ms budget/);
    expect(dead).toEqual([`1: ${job.last_error}`]);
  });

  it('a job out of time once is retried, and completes', async () => {
    const [id] = await enqueueJobs(t.deps, [{ kind: 'test.slow-once', payload: {}, maxAttempts: 5 }]);
    expect(await drain()).toBe(2);
    expect(await jobRow(t, id!)).toMatchObject({ status: 'done', attempts: 2 });
  });
});

describe.each(databaseKinds)('a poison document on %s', (kind) => {
  // Big enough (10 MB) that preparing it takes far longer than its budget: it stands for any document
  // whose extraction or chunking will not end in time.
  const t = useTestApp(kind, {
    env: {
      JOB_TIMEOUT_MS: '300',
      JOB_BACKOFF_BASE_MS: '0',
      JOB_BACKOFF_MAX_MS: '0',
      DOCUMENT_MAX_BYTES: '26214400',
      RAG_MAX_CHUNKS_PER_DOCUMENT: '1000000',
    },
  });
  const offload = createOffloadPool({ size: 2 });
  afterAll(() => offload.close());

  it('is stopped in its worker thread at its budget, dead after two attempts, while requests are answered', async () => {
    const content = 'Autovacuum reclaims the space of dead tuples. '.repeat(225_000);
    const { result } = await expectResponsive(
      () => t.request('/health'),
      async () => {
        const res = await t.as(
          'poison-a',
          '/documents',
          filePost('poison.txt', content, { chunk_size: '16' }),
        );
        const { document_id, job_id } = await readBody(res, uploadDocumentRoute, 202);
        await drainJobs(t.deps, jobHandlers, { horizonMs: 60_000, offload });
        return { document_id, job_id: job_id! };
      },
    );
    expect(await jobRow(t, result.job_id)).toMatchObject({ status: 'dead', attempts: 2 });
    const doc = await readBody(
      await t.as('poison-a', `/documents/${result.document_id}`),
      getDocumentRoute,
      200,
    );
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/^job timed out:/);

    // The threads it held were ended; the next document is ingested by fresh ones. Starting a
    // thread alone can take longer than 300 ms on a loaded machine: this job gets 10 s.
    const next = await readBody(
      await t.as('poison-a', '/documents', filePost('fine.txt', 'Checkpoints bound recovery time.')),
      uploadDocumentRoute,
      202,
    );
    const roomy = { ...t.deps, config: { ...t.deps.config, JOB_TIMEOUT_MS: 10_000 } };
    await drainJobs(roomy, jobHandlers, { horizonMs: 60_000, offload });
    expect(
      (await readBody(await t.as('poison-a', `/documents/${next.document_id}`), getDocumentRoute, 200))
        .status,
    ).toBe('ready');
  });
});
