import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobHandlers } from '../../../src/job-handlers.ts';
import { createOffloadPool } from '../../../src/node/offload-pool.ts';
import { type DatabaseHandle, openPgliteThread } from '../../../src/node/open-database.ts';
import { drainJobs } from '../../../src/queue/drain-jobs.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../../src/rag/documents/documents.routes.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { filePost } from '../../helpers/rag.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

// A plain 10 MB document (the largest DOCUMENT_MAX_BYTES allows by default) used to stop /health
// for 29 s on the embedded database and 1.2 s on PostgreSQL: chunking ran on the event loop, and
// PGlite ran every statement on it too, the HNSW index build over the new chunks included.
const TEN_MB = 10_000_000;
const sentence = (i: number) =>
  `Sentence ${i} explains how write-ahead logging keeps committed data safe across crashes.`;
function tenMegabytes(): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < TEN_MB; i++) {
    const paragraph = `${Array.from({ length: 6 }, (_, j) => sentence(i * 6 + j)).join(' ')}\n\n`;
    parts.push(paragraph);
    length += paragraph.length;
  }
  return parts.join('').slice(0, TEN_MB);
}

describe.each(databaseKinds)('a 10 MB upload and its ingestion on %s, as the server runs them', (kind) => {
  let database: DatabaseHandle;
  let t: TestApp;
  const offload = createOffloadPool({ size: 2 });

  beforeAll(async () => {
    // The server's embedded database: PGlite in its own thread (openDatabase does the same).
    if (kind === 'pglite') {
      database = await openPgliteThread(undefined);
      await database.migrate();
    } else database = await openTestDatabase(kind);
    t = createTestApp(database, { env: { LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    await offload.close();
    await database?.close();
  });

  it('keeps /health answering within 1 s from the upload to the vector index built over it', async () => {
    const content = tenMegabytes();
    const { result: documentId, worstHealthMs } = await expectResponsive(
      () => t.request('/health'),
      async () => {
        const res = await t.as('ten-mb', '/documents', filePost('ten-megabytes.txt', content));
        const { document_id } = await readBody(res, uploadDocumentRoute, 202);
        await drainJobs(t.deps, jobHandlers, { horizonMs: 3_600_000, offload });
        return document_id;
      },
    );
    console.info(`${kind}: worst /health wait during a 10 MB ingest: ${Math.round(worstHealthMs)} ms`);
    const doc = await readBody(await t.as('ten-mb', `/documents/${documentId}`), getDocumentRoute, 200);
    expect(doc).toMatchObject({ status: 'ready', error: null });
    // Enough chunks that the version's HNSW index was built as part of the work measured.
    expect(doc.chunk_count).toBeGreaterThan(t.deps.config.RAG_HNSW_MIN_CHUNKS);
  }, 300_000);
});
