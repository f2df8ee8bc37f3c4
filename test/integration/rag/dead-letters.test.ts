import { describe, expect, it } from 'vitest';
import { listDeadJobsRoute, retryJobRoute } from '../../../src/queue/admin/dead-jobs.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { drain, flakyEmbeddings, getDocument, queueText } from '../../helpers/rag.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

const admin = (t: TestApp, path: string, init: RequestInit = {}) =>
  t.as('root', path, { ...init, role: 'admin' });
const deadJobs = async (t: TestApp) => readBody(await admin(t, '/admin/jobs/dead'), listDeadJobsRoute, 200);

// The dead-letter store and the queue belong to the whole database, and the flaky provider counts
// every call: each test gets a database and a provider of its own.
describe.each(databaseKinds)('dead-letter store on %s', (kind) => {
  describe('a job that fails on every attempt', () => {
    const llm = flakyEmbeddings(3);
    const t = useTestApp(kind, { env: { JOB_MAX_ATTEMPTS: '3' }, llm });

    it('lands there with its error, and the document says why', async () => {
      const sub = 'dead-letters-doomed-alice';
      const { document_id, job_id } = await queueText(t, sub, {
        title: 'Doomed',
        content: 'Checkpoints flush dirty pages to disk.',
      });
      expect(await drain(t)).toBe(3);
      expect(llm.calls()).toBe(3);

      const doc = await getDocument(t, sub, document_id);
      expect(doc.status).toBe('failed');
      expect(doc.error).toContain('embedding upstream unavailable (call 3)');

      const dead = await deadJobs(t);
      expect(dead.items).toHaveLength(1);
      expect(dead.items[0]).toMatchObject({
        id: job_id,
        kind: 'rag.ingest',
        attempts: 3,
        payload: { documentId: document_id },
      });
      expect(dead.items[0]!.last_error).toContain('call 3');
    });
  });

  describe('a dead job', () => {
    const t = useTestApp(kind, { env: { JOB_MAX_ATTEMPTS: '3' }, llm: flakyEmbeddings(3) });

    it('an admin re-drives it and it completes', async () => {
      const sub = 'dead-letters-redrive-alice';
      await queueText(t, sub, { title: 'Doomed', content: 'Checkpoints flush dirty pages to disk.' });
      await drain(t);

      const dead = await deadJobs(t);
      const { id, payload } = dead.items[0]!;
      const documentId = String(payload.documentId);
      const retried = await admin(t, `/admin/jobs/${id}/retry`, { method: 'POST' });
      expect(await readBody(retried, retryJobRoute, 202)).toEqual({
        id,
        kind: 'rag.ingest',
        status: 'queued',
      });
      expect((await getDocument(t, sub, documentId)).status).toBe('queued');

      expect(await drain(t)).toBe(1);
      expect(await getDocument(t, sub, documentId)).toMatchObject({
        status: 'ready',
        error: null,
        chunk_count: 1,
      });
      expect((await deadJobs(t)).items).toEqual([]);
    });
  });

  describe('re-driving', () => {
    const t = useTestApp(kind);

    it('a job that is not dead is 404; a non-admin is 403', async () => {
      const sub = 'dead-letters-alive-alice';
      const { job_id } = await queueText(t, sub, { title: 'Fine', content: 'WAL records changes.' });
      await expectProblem(await admin(t, `/admin/jobs/${job_id}/retry`, { method: 'POST' }), 404);
      await expectProblem(await t.as(sub, '/admin/jobs/dead'), 403);
      await expectProblem(await t.as(sub, `/admin/jobs/${job_id}/retry`, { method: 'POST' }), 403);
      await expectProblem(await t.request('/admin/jobs/dead'), 401);
    });
  });
});
