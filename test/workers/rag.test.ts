import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { listDeadJobsRoute, retryJobRoute } from '../../src/queue/admin/dead-jobs.routes.ts';
import { insertJobs } from '../../src/queue/jobs-store.ts';
import { chatRoute } from '../../src/rag/chat/chat.routes.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../src/rag/documents/documents.routes.ts';
import { searchRoute } from '../../src/rag/search/search.routes.ts';
import worker from '../../workers/api.ts';
import type { Env } from '../../workers/env.ts';
import { DEAD_LETTER_QUEUE } from '../../workers/queue-consumer.ts';
import { requestDatabase } from '../../workers/request-database.ts';
import { readBody } from '../helpers/json-request.ts';
import { as, postJson } from './worker-client.ts';

const env = bindings as unknown as Env;

async function waitForStatus(sub: string, documentId: string, status: string) {
  for (let i = 0; i < 150; i++) {
    const doc = await readBody(await as(sub, `/documents/${documentId}`), getDocumentRoute, 200);
    if (doc.status === status) return doc;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`document ${documentId} never became ${status}`);
}

const upload = async (sub: string, body: { title: string; content: string; mime_type?: string }) =>
  readBody(await as(sub, '/documents', postJson(body)), uploadDocumentRoute, 202);

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
    const { document_id } = await upload('wanda', {
      title: 'WAL',
      content: 'Write-ahead logging records every change before it reaches the data files.',
    });
    const doc = await waitForStatus('wanda', document_id, 'ready');
    expect(doc.chunk_count).toBe(1);

    const search = await as('wanda', '/search', postJson({ query: 'write-ahead logging', mode: 'hybrid' }));
    const page = await readBody(search, searchRoute, 200);
    expect(page.results[0]?.document_id).toBe(document_id);
  });

  it('acknowledges a duplicate delivery without a second set of chunks', async () => {
    const { document_id, job_id } = await upload('wanda', {
      title: 'Twice',
      content: 'Checkpoints bound recovery time.',
    });
    const first = await deliver('cairn-jobs', [job_id!]);
    const second = await deliver('cairn-jobs', [job_id!]);
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

    const dead = await readBody(
      await as('root', '/admin/jobs/dead?limit=100', { role: 'admin' }),
      listDeadJobsRoute,
      200,
    );
    const byId = new Map(dead.items.map((j) => [j.id, j.last_error]));
    expect(byId.get(unknown!.id)).toContain('no handler');
    expect(byId.get(abandoned!.id)).toContain('delivery failed');
    const retried = await as('root', `/admin/jobs/${abandoned!.id}/retry`, { method: 'POST', role: 'admin' });
    await readBody(retried, retryJobRoute, 202);
  });

  it('returns heading paths as arrays from /search and /chat, as on Node', async () => {
    // PostgreSQL sends text[] as an array literal; the connection must parse it.
    const { document_id } = await upload('wendell', {
      title: 'Vacuum',
      mime_type: 'text/markdown',
      content:
        '# Vacuum\n\n## Routine vacuuming, "briefly"\n\nThe autovacuum daemon reclaims dead rows so tables stop growing.',
    });
    await waitForStatus('wendell', document_id, 'ready');
    const { document_id: plain } = await upload('wendell', {
      title: 'Freezing',
      content: 'Freezing old transaction ids prevents wraparound of the transaction counter.',
    });
    await waitForStatus('wendell', plain, 'ready');

    const page = await readBody(
      await as('wendell', '/search', postJson({ query: 'autovacuum dead rows', mode: 'hybrid' })),
      searchRoute,
      200,
    );
    const paths = new Map(page.results.map((r) => [r.document_id, r.heading_path]));
    expect(paths.get(document_id)).toEqual(['Vacuum', 'Routine vacuuming, "briefly"']);
    expect(paths.get(plain)).toEqual([]);

    const chat = await readBody(
      await as('wendell', '/chat', postJson({ message: 'What does the autovacuum daemon do?' })),
      chatRoute,
      200,
    );
    expect(chat.citations.length).toBeGreaterThan(0);
    for (const citation of chat.citations) expect(Array.isArray(citation.heading_path)).toBe(true);
    expect(chat.answer).not.toMatch(/[{}]/);
  });
});
