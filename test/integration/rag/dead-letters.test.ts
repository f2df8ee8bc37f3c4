import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { drain, flakyEmbeddings, uploadText } from '../../helpers/rag.ts';
import { createTestApp, expectProblem, readJson, type TestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('dead-letter store on %s', (kind) => {
  let database: DatabaseHandle;
  let t: TestApp;
  let llm: ReturnType<typeof flakyEmbeddings>;
  const admin = (path: string, init: RequestInit = {}) => t.as('root', path, { ...init, role: 'admin' });

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    llm = flakyEmbeddings(3);
    t = createTestApp(database, { env: { JOB_MAX_ATTEMPTS: '3' }, llm });
  });
  afterAll(() => database.close());

  it('a job that fails on every attempt lands there with its error, and the document says why', async () => {
    const { document_id, job_id } = await readJson(
      await uploadText(t, 'alice', { title: 'Doomed', content: 'Checkpoints flush dirty pages to disk.' }),
    );
    expect(await drain(t)).toBe(3);
    expect(llm.calls()).toBe(3);

    const doc = await readJson(await t.as('alice', `/documents/${document_id}`));
    expect(doc.status).toBe('failed');
    expect(doc.error).toContain('embedding upstream unavailable (call 3)');

    const dead = await readJson(await admin('/admin/jobs/dead'));
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]).toMatchObject({
      id: job_id,
      kind: 'rag.ingest',
      attempts: 3,
      payload: { documentId: document_id },
    });
    expect(dead.items[0].last_error).toContain('call 3');
  });

  it('an admin re-drives it and it completes', async () => {
    const dead = await readJson(await admin('/admin/jobs/dead'));
    const { id, payload } = dead.items[0];
    const retried = await admin(`/admin/jobs/${id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    expect(await readJson(retried)).toEqual({ id, kind: 'rag.ingest', status: 'queued' });
    expect((await readJson(await t.as('alice', `/documents/${payload.documentId}`))).status).toBe('queued');

    expect(await drain(t)).toBe(1);
    const doc = await readJson(await t.as('alice', `/documents/${payload.documentId}`));
    expect(doc).toMatchObject({ status: 'ready', error: null, chunk_count: 1 });
    expect((await readJson(await admin('/admin/jobs/dead'))).items).toEqual([]);
  });

  it('re-driving a job that is not dead is 404; a non-admin is 403', async () => {
    const { job_id } = await readJson(
      await uploadText(t, 'alice', { title: 'Fine', content: 'WAL records changes.' }),
    );
    await expectProblem(await admin(`/admin/jobs/${job_id}/retry`, { method: 'POST' }), 404);
    await expectProblem(await t.as('alice', '/admin/jobs/dead'), 403);
    await expectProblem(await t.as('alice', `/admin/jobs/${job_id}/retry`, { method: 'POST' }), 403);
    await expectProblem(await t.request('/admin/jobs/dead'), 401);
  });
});
