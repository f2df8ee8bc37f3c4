import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDocumentRoute, uploadDocumentRoute } from '../../src/rag/documents/documents.routes.ts';
import { readBody } from '../helpers/json-request.ts';
import { filePost } from '../helpers/rag.ts';
import { expectResponsive } from '../helpers/responsiveness.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

// A plain document of `bytes` characters, different for each `seed` (the same content twice
// would be the same document).
function plainDocument(bytes: number, seed: string): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const paragraph = `${seed} paragraph ${i}: write-ahead logging keeps committed data safe across crashes, and checkpoints bound the replay.\n\n`;
    parts.push(paragraph);
    length += paragraph.length;
  }
  return parts.join('').slice(0, bytes);
}

const statusOf = async (server: ServerProcess, id: string) =>
  (await readBody(await server.as('recovery', `/documents/${id}`), getDocumentRoute, 200)).status;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pidOf = (server: ServerProcess) => {
  const line = server.stdout
    .map((l) => JSON.parse(l) as { msg?: string; pid?: number })
    .find((l) => l.msg === 'listening');
  if (!line?.pid) throw new Error('the server logged no pid when it started listening');
  return line.pid;
};

describe('the embedded server through a 10 MB ingestion, a kill -9 mid-ingestion and a restart', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cairn-e2e-recovery-'));
    env = { DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, JOB_POLL_INTERVAL_MS: '200' };
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers /health within 1 s while a 10 MB upload is stored and ingested', async () => {
    const running = server!;
    const { worstHealthMs } = await expectResponsive(
      () => running.request('/health'),
      async () => {
        const res = await running.as(
          'recovery',
          '/documents',
          filePost('ten-mb.txt', plainDocument(10_000_000, 'first')),
        );
        const { document_id } = await readBody(res, uploadDocumentRoute, 202);
        await waitFor(async () => (await statusOf(running, document_id)) === 'ready', 150_000);
      },
    );
    console.info(
      `embedded server: worst /health wait during a 10 MB ingest: ${Math.round(worstHealthMs)} ms`,
    );
  }, 180_000);

  it('after a kill -9 during an ingestion, restarts on the same data folder, listens within seconds, then finishes it', async () => {
    const killed = server!;
    const res = await killed.as(
      'recovery',
      '/documents',
      filePost('interrupted.txt', plainDocument(8_000_000, 'second')),
    );
    const { document_id } = await readBody(res, uploadDocumentRoute, 202);
    await waitFor(async () => (await statusOf(killed, document_id)) === 'processing', 30_000);
    process.kill(pidOf(killed), 'SIGKILL');
    await waitFor(
      async () =>
        !(await fetch(`${killed.baseUrl}/health`).then(
          () => true,
          () => false,
        )),
      10_000,
    );
    server = undefined;

    const started = performance.now();
    server = await startServer(env);
    const restarted = server;
    expect((await restarted.request('/health')).status).toBe(200);
    const answeredMs = performance.now() - started;
    console.info(`restart after kill -9: /health answered ${Math.round(answeredMs)} ms after spawn`);
    expect(answeredMs).toBeLessThan(15_000);
    // It listened first, and only then took up the job the killed process left running.
    const messages = restarted.stdout.map((l) => (JSON.parse(l) as { msg?: string }).msg);
    await waitFor(async () => restarted.stdout.some((l) => l.includes('resuming interrupted jobs')), 10_000);
    expect(messages.indexOf('listening')).toBeLessThan(
      restarted.stdout.findIndex((l) => l.includes('resuming interrupted jobs')),
    );

    await expectResponsive(
      () => restarted.request('/health'),
      () => waitFor(async () => (await statusOf(restarted, document_id)) === 'ready', 150_000),
    );
  }, 240_000);
});
