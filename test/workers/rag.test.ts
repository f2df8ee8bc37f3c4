import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env as bindings, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/principal.ts';
import { insertJobs } from '../../src/queue/jobs-store.ts';
import worker from '../../workers/api.ts';
import type { Env } from '../../workers/env.ts';
import { DEAD_LETTER_QUEUE } from '../../workers/queue-consumer.ts';
import { requestDatabase } from '../../workers/request-database.ts';
import { workerToken } from './worker-token.ts';

const env = bindings as unknown as Env;
const call = (path: string, init?: RequestInit) =>
  (exports as unknown as { default: Fetcher }).default.fetch(`http://cairn.test${path}`, init);

const as = async (sub: string, path: string, init: RequestInit & { role?: Role } = {}) => {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${await workerToken(sub, init.role)}`);
  return call(path, { ...init, headers });
};
const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function waitForStatus(sub: string, documentId: string, status: string) {
  for (let i = 0; i < 150; i++) {
    const doc = (await (await as(sub, `/documents/${documentId}`)).json()) as {
      status: string;
      chunk_count: number;
    };
    if (doc.status === status) return doc;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`document ${documentId} never became ${status}`);
}

/** Hands a batch to the worker's queue handler as Cloudflare would, and returns what it acked or retried. */
async function deliver(queue: string, jobIds: string[]) {
  const batch = createMessageBatch(
    queue,
    jobIds.map((jobId, i) => ({
      id: `m-${i}-${jobId}`,
      timestamp: new Date(),
      attempts: 1,
      body: { jobId },
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<{ jobId: string }>, env, ctx);
  return getQueueResult(batch, ctx);
}

describe('RAG ingestion on workerd', () => {
  it('ingests through the Cloudflare Queue end to end: upload, consumer, search', async () => {
    const res = await as(
      'wanda',
      '/documents',
      json({
        title: 'WAL',
        content: 'Write-ahead logging records every change before it reaches the data files.',
      }),
    );
    expect(res.status).toBe(202);
    const { document_id } = (await res.json()) as { document_id: string };
    const doc = await waitForStatus('wanda', document_id, 'ready');
    expect(doc.chunk_count).toBe(1);

    const search = await as('wanda', '/search', json({ query: 'write-ahead logging', mode: 'hybrid' }));
    const page = (await search.json()) as { results: { document_id: string }[] };
    expect(page.results[0]?.document_id).toBe(document_id);
  });

  it('acknowledges a duplicate delivery without a second set of chunks', async () => {
    const res = await as(
      'wanda',
      '/documents',
      json({ title: 'Twice', content: 'Checkpoints bound recovery time.' }),
    );
    const { document_id, job_id } = (await res.json()) as { document_id: string; job_id: string };
    const first = await deliver('cairn-jobs', [job_id]);
    const second = await deliver('cairn-jobs', [job_id]);
    expect(first.explicitAcks).toHaveLength(1);
    expect(second.explicitAcks).toHaveLength(1);
    expect(second.retryMessages).toEqual([]);
    const doc = await waitForStatus('wanda', document_id, 'ready');
    expect(doc.chunk_count).toBe(1);
  });

  it('dead-letters a job that cannot run, records messages Cloudflare gave up on, and re-drives them', async () => {
    const db = requestDatabase(env);
    const [unknown, abandoned] = await insertJobs(db, [
      { kind: 'no.such.kind', payload: {}, maxAttempts: 3 },
      { kind: 'no.such.kind.either', payload: {}, maxAttempts: 3 },
    ]);
    const result = await deliver('cairn-jobs', [unknown!.id]);
    expect(result.explicitAcks).toHaveLength(1);
    const dlq = await deliver(DEAD_LETTER_QUEUE, [abandoned!.id]);
    expect(dlq.explicitAcks).toHaveLength(1);

    const dead = (await (await as('root', '/admin/jobs/dead?limit=100', { role: 'admin' })).json()) as {
      items: { id: string; last_error: string }[];
    };
    const byId = new Map(dead.items.map((j) => [j.id, j.last_error]));
    expect(byId.get(unknown!.id)).toContain('no handler');
    expect(byId.get(abandoned!.id)).toContain('delivery failed');
    const retried = await as('root', `/admin/jobs/${abandoned!.id}/retry`, { method: 'POST', role: 'admin' });
    expect(retried.status).toBe(202);
  });
});
