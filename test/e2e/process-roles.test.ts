import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../src/rag/documents/documents.routes.ts';
import { searchRoute } from '../../src/rag/search/search.routes.ts';
import { getReadinessRoute } from '../../src/system/system.routes.ts';
import { openTestDatabase } from '../helpers/databases.ts';
import { postJson, readBody } from '../helpers/json-request.ts';
import { filePost, pgDoc } from '../helpers/rag.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const METRICS_TOKEN = 'roles-metrics-token-0123456789';

const scrape = async (server: ServerProcess) => {
  const res = await server.request('/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
};

// The compose stack's split (docker-compose.yml): one PROCESS_ROLE=api and one PROCESS_ROLE=worker
// process on one PostgreSQL.
describe.runIf(process.env.TEST_DATABASE_URL)('an api process and a worker process', () => {
  let database: DatabaseHandle & { url?: string };
  let api: ServerProcess;
  let worker: ServerProcess;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const shared = {
      DATABASE_URL: database.url!,
      JWT_SECRET: TEST_JWT_SECRET,
      METRICS_TOKEN,
      JOB_POLL_INTERVAL_MS: '100',
    };
    [api, worker] = await Promise.all([
      startServer({ ...shared, PROCESS_ROLE: 'api' }),
      startServer({ ...shared, PROCESS_ROLE: 'worker' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await database?.close();
  });

  it('the worker answers probes and scrapes only', async () => {
    expect((await worker.request('/health')).status).toBe(200);
    expect((await readBody(await worker.request('/ready'), getReadinessRoute, 200)).status).toBe('ready');
    // Plain fetch: the routes' contracts do not declare the 404 a worker gives them.
    for (const path of ['/documents', '/analyze', '/v1/models']) {
      const res = await fetch(`${worker.baseUrl}${path}`);
      expect(res.status, path).toBe(404);
      // Under /v1 an unknown route answers in OpenAI's error shape, elsewhere as problem+json.
      expect(res.headers.get('content-type')).toContain(
        path.startsWith('/v1/') ? 'application/json' : 'application/problem+json',
      );
    }
  });

  it('the api stores an upload and the worker ingests it', async () => {
    const upload = await api.as(
      'ola',
      '/documents',
      filePost('sql-truncate.html', pgDoc('sql-truncate.html')),
    );
    const id = (await readBody(upload, uploadDocumentRoute, 202)).document_id;
    await expect
      .poll(
        async () => (await readBody(await api.as('ola', `/documents/${id}`), getDocumentRoute, 200)).status,
        {
          timeout: 30_000,
          interval: 100,
        },
      )
      .toBe('ready');
    const search = await api.as('ola', '/search', postJson({ query: 'truncate restart identity', top_k: 1 }));
    expect((await readBody(search, searchRoute, 200)).results[0]?.document_title).toBe('TRUNCATE');
    // Each process counts the jobs it ran: the worker ran it, the api ran none.
    expect(await scrape(worker)).toMatch(/cairn_jobs_finished_total\{[^}]*cairn_job_kind="rag\.ingest"/);
    expect(await scrape(api)).not.toContain('cairn_jobs_finished_total{');
  });
});

describe('PROCESS_ROLE on the embedded database', () => {
  it('refuses to start anything but `all`', async () => {
    await expect(startServer({ JWT_SECRET: TEST_JWT_SECRET, PROCESS_ROLE: 'api' })).rejects.toThrow(
      /PROCESS_ROLE: api and worker need DATABASE_URL/,
    );
  });
});
