import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../src/rag/documents/documents.routes.ts';
import { searchRoute } from '../../src/rag/search/search.routes.ts';
import { postJson, readBody } from '../helpers/json-request.ts';
import { filePost, PG_DOC_FIXTURES, pgDoc } from '../helpers/rag.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer, useServersOnSharedPostgres } from './server-process.ts';

async function upload(server: ServerProcess, sub: string, name: string) {
  const res = await server.as(sub, '/documents', filePost(name, pgDoc(name)));
  return (await readBody(res, uploadDocumentRoute, 202)).document_id;
}

async function waitUntilReady(server: ServerProcess, sub: string, ids: string[]) {
  for (let i = 0; i < 300; i++) {
    const statuses = await Promise.all(
      ids.map(
        async (id) =>
          (await readBody(await server.as(sub, `/documents/${id}`), getDocumentRoute, 200)).status,
      ),
    );
    if (statuses.every((s) => s === 'ready')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('documents did not become ready');
}

describe('ingestion by the server process on the embedded default', () => {
  let server: ServerProcess;
  let stopped = false;
  beforeAll(async () => {
    server = await startServer({
      JWT_SECRET: TEST_JWT_SECRET,
      JOB_POLL_INTERVAL_MS: '60000',
    });
  });
  afterAll(async () => {
    if (!stopped) await server?.stop();
  });

  it('ingests uploads with its in-process consumer (woken by the upload) and searches them', async () => {
    const ids = [
      await upload(server, 'erin', 'sql-truncate.html'),
      await upload(server, 'erin', 'indexes-unique.html'),
    ];
    await waitUntilReady(server, 'erin', ids);
    const res = await server.as(
      'erin',
      '/search',
      postJson({ query: 'truncate restart identity', mode: 'hybrid', top_k: 3 }),
    );
    const page = await readBody(res, searchRoute, 200);
    expect(page.results[0]?.document_title).toBe('TRUNCATE');
  });

  it('stops its consumer cleanly on SIGTERM', async () => {
    stopped = true;
    expect(await server.stop()).toBe(0);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('two server processes sharing one PostgreSQL job table', () => {
  const shared = useServersOnSharedPostgres({ JOB_POLL_INTERVAL_MS: '50' });

  it('both consume, and every document is ingested exactly once', async () => {
    const ids = await Promise.all(
      PG_DOC_FIXTURES.map((name, i) => upload(shared.servers[i % 2]!, 'frank', name)),
    );
    await waitUntilReady(shared.servers[0]!, 'frank', ids);
    const jobs = rowsOf<{ status: string; attempts: number }>(
      await shared.database.db.execute(sql`select status, attempts from jobs where kind = 'rag.ingest'`),
    );
    expect(jobs).toHaveLength(PG_DOC_FIXTURES.length);
    expect(jobs.every((j) => j.status === 'done' && j.attempts === 1)).toBe(true);
    const sets = rowsOf<{ n: number }>(
      await shared.database.db.execute(
        sql`select count(distinct (document_id, ordinal))::int - count(*)::int as n from chunks`,
      ),
    );
    expect(sets[0]!.n).toBe(0);
  });
});
