import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { jobHandlers } from '../../../src/job-handlers.ts';
import { executeJob } from '../../../src/queue/execute-job.ts';
import { claimDueJobs } from '../../../src/queue/jobs-store.ts';
import { listDocumentsRoute } from '../../../src/rag/documents/documents.routes.ts';
import {
  activateIndexVersionRoute,
  createIndexVersionRoute,
  listIndexVersionsRoute,
} from '../../../src/rag/index-versions/index-versions.routes.ts';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, ingestPgDocs, SMALL_EMBEDDING_MODEL, twoModelLlm } from '../../helpers/rag.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

const admin = (t: TestApp, path: string, init: RequestInit = {}) =>
  t.as('root', path, { ...init, role: 'admin' });
const appOptions = () => ({
  env: { RAG_RETIRED_PURGE_DELAY_S: '0', RAG_HNSW_MIN_CHUNKS: '1' },
  llm: twoModelLlm(),
});

// Index versions belong to the whole database, and each test below creates and activates them:
// each gets a database of its own.
describe.each(databaseKinds)('index versions on %s', (kind) => {
  describe('a rebuild', () => {
    const t = useTestApp(kind, appOptions());
    const sub = 'index-rebuild-alice';
    const search = async () =>
      readBody(
        await t.as(sub, '/search', postJson({ query: 'partial index predicate', mode: 'hybrid', top_k: 5 })),
        searchRoute,
        200,
      );
    const chunkCount = async (versionId: number) =>
      Number(
        rowsOf<{ n: number }>(
          await t.deps.db.execute(
            sql`select count(*)::int as n from chunks where index_version_id = ${versionId}`,
          ),
        )[0]!.n,
      );

    it('rebuilds with new settings in the background while search keeps answering from the old version, then switches once', async () => {
      await ingestPgDocs(t, sub);
      const before = await search();
      const v1 = before.index_version.id;
      const v2 = await readBody(
        await admin(
          t,
          '/admin/index/versions',
          postJson({ embedding_model: SMALL_EMBEDDING_MODEL, chunk_size: 64, chunk_overlap: 8 }),
        ),
        createIndexVersionRoute,
        202,
      );
      expect(v2).toMatchObject({
        state: 'building',
        embedding: { model: SMALL_EMBEDDING_MODEL, dimensions: 256 },
        chunking: { size: 64, overlap: 8 },
        progress: { documents_total: 5, documents_done: 0, jobs_pending: 5 },
      });
      await expectProblem(await admin(t, '/admin/index/versions', postJson({ chunk_size: 100 })), 409);

      // One job at a time, searching (concurrently with the job and after it) in between.
      const seen: number[] = [];
      for (;;) {
        const [job] = await claimDueJobs(t.deps.db, {
          workerId: 'test',
          limit: 1,
          leaseSeconds: 60,
          horizonMs: 3_600_000,
        });
        if (!job) break;
        const [during] = await Promise.all([search(), executeJob(t.deps, jobHandlers, job)]);
        const after = await search();
        for (const page of [during, after]) {
          expect(page.results.length).toBeGreaterThan(0);
          seen.push(page.index_version.id);
        }
      }
      const switchAt = seen.indexOf(v2.id);
      expect(switchAt).toBeGreaterThan(0);
      expect(seen.slice(0, switchAt).every((v) => v === v1)).toBe(true);
      expect(seen.slice(switchAt).every((v) => v === v2.id)).toBe(true);

      const { items } = await readBody(await admin(t, '/admin/index/versions'), listIndexVersionsRoute, 200);
      const [now, old] = items;
      expect(now).toMatchObject({
        id: v2.id,
        state: 'active',
        vector_indexed: true,
        progress: { documents_done: 5, jobs_pending: 0 },
      });
      expect(old).toMatchObject({ id: v1, state: 'retired' });
      expect(old!.purged_at).not.toBeNull();
      expect(await chunkCount(v1)).toBe(0);
      expect(now!.chunk_count).toBe(await chunkCount(v2.id));

      const docs = await readBody(await t.as(sub, '/documents?limit=10'), listDocumentsRoute, 200);
      const total = docs.items.reduce((sum, d) => sum + d.chunk_count, 0);
      expect(total).toBe(now!.chunk_count);
      const afterSwitch = await search();
      expect(afterSwitch.index_version).toEqual({
        id: v2.id,
        embedding_model: SMALL_EMBEDDING_MODEL,
        dimensions: 256,
      });
    });
  });

  describe('activation by hand', () => {
    const t = useTestApp(kind, appOptions());

    it('a cursor from before the switch is refused with 409 rather than mixing versions', async () => {
      const sub = 'index-activate-alice';
      await ingestPgDocs(t, sub);
      const page = await readBody(
        await t.as(sub, '/search', postJson({ query: 'index', mode: 'vector', top_k: 1 })),
        searchRoute,
        200,
      );
      expect(page.next_cursor).not.toBeNull();
      const created = await readBody(
        await admin(t, '/admin/index/versions', postJson({ chunk_size: 200, auto_activate: false })),
        createIndexVersionRoute,
        202,
      );
      await drain(t);
      const versions = await readBody(await admin(t, '/admin/index/versions'), listIndexVersionsRoute, 200);
      expect(versions.items[0]).toMatchObject({
        id: created.id,
        state: 'building',
        progress: { documents_done: 5 },
      });
      const activated = await admin(t, `/admin/index/versions/${created.id}/activate`, { method: 'POST' });
      expect(await readBody(activated, activateIndexVersionRoute, 200)).toMatchObject({
        id: created.id,
        state: 'active',
      });
      await expectProblem(
        await t.as(
          sub,
          '/search',
          postJson({ query: 'index', mode: 'vector', top_k: 1, cursor: page.next_cursor }),
        ),
        409,
      );
      await expectProblem(
        await admin(t, `/admin/index/versions/${created.id}/activate`, { method: 'POST' }),
        409,
      );
      await expectProblem(await admin(t, '/admin/index/versions/9999/activate', { method: 'POST' }), 404);
    });

    // Changes nothing: every request is refused.
    it('refuses settings that cannot work, and non-admins', async () => {
      await expectProblem(
        await admin(t, '/admin/index/versions', postJson({ embedding_model: 'no-such-model' })),
        422,
      );
      await expectProblem(await admin(t, '/admin/index/versions', postJson({ dimensions: 1536 })), 422);
      await expectProblem(
        await admin(t, '/admin/index/versions', postJson({ chunk_size: 50, chunk_overlap: 50 })),
        422,
      );
      // The overlap that multiplied storage on uploads is refused for whole versions too.
      const overlap = await expectProblem(
        await admin(t, '/admin/index/versions', postJson({ chunk_size: 64, chunk_overlap: 17 })),
        422,
      );
      expect(overlap.errors?.[0]?.pointer).toBe('/body/chunk_overlap');
      await expectProblem(await admin(t, '/admin/index/versions', postJson({ chunk_size: 5 })), 400);
      await expectProblem(await t.as('index-refusals-alice', '/admin/index/versions'), 403);
      await expectProblem(await t.as('index-refusals-alice', '/admin/index/versions', postJson({})), 403);
    });
  });
});
