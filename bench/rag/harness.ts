import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Deps } from '../../src/deps.ts';
import { jobHandlers } from '../../src/job-handlers.ts';
import { type DatabaseHandle, openPglite, openPostgres } from '../../src/node/open-database.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { drainJobs } from '../../src/queue/drain-jobs.ts';
import { uploadDocument } from '../../src/rag/documents/upload-document.ts';
import { createBatchedUsageWriter } from '../../src/usage/batched-usage-writer.ts';

export const PG_DOCS_DIR = '/usr/share/doc/postgresql-doc-15/html';

export interface Harness {
  kind: 'pglite' | 'postgres';
  deps: Deps;
  database: DatabaseHandle;
  close(): Promise<void>;
}

/**
 * cairn's services over a fresh database: in-memory PGlite, or a new database next to
 * `postgresUrl` (dropped on close). No HTTP: benchmarks and evals measure the RAG path itself.
 */
export async function openHarness(options: {
  kind: 'pglite' | 'postgres';
  postgresUrl?: string;
  env?: Record<string, string>;
}): Promise<Harness> {
  const config = loadConfig({ LOG_LEVEL: 'warn', JWT_SECRET: 'x'.repeat(32), ...options.env });
  const logger = createLogger({
    level: config.LOG_LEVEL,
    write: (line) => process.stderr.write(`${line}\n`),
  });
  let database: DatabaseHandle;
  let drop = async () => {};
  if (options.kind === 'pglite') {
    database = await openPglite(undefined);
  } else {
    if (!options.postgresUrl) throw new Error('postgres needs a URL (--postgres-url or TEST_DATABASE_URL)');
    const postgres = (await import('postgres')).default;
    const admin = postgres(options.postgresUrl, { max: 1, onnotice: () => {} });
    const name = `cairn_bench_${Date.now().toString(36)}`;
    await admin.unsafe(`create database ${name}`);
    const url = new URL(options.postgresUrl);
    url.pathname = `/${name}`;
    database = openPostgres(config, url.toString());
    drop = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  }
  await database.migrate();
  const usage = createBatchedUsageWriter({ db: database.db, logger, batchSize: 500, flushIntervalMs: 1000 });
  const deps = completeDeps(buildDeps({ config, logger }), database.db, usage);
  await database.db.execute(
    // Uploads need their owner to exist, as an authenticated request would have ensured.
    (await import('drizzle-orm')).sql`insert into users (id) values ('bench') on conflict do nothing`,
  );
  return {
    kind: options.kind,
    deps,
    database,
    async close() {
      await usage.close();
      await database.close();
      await drop();
    },
  };
}

export async function listPages(dir = PG_DOCS_DIR, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.html')).sort();
  return names.slice(0, limit).map((f) => path.join(dir, f));
}

/** Uploads pages (several at a time) as the user "bench", then runs the queued ingestion to the end. */
export async function ingestPages(
  harness: Harness,
  files: string[],
  options: { uploadConcurrency?: number; jobConcurrency?: number; owner?: string } = {},
) {
  const owner = options.owner ?? 'bench';
  const started = performance.now();
  let next = 0;
  const documentIds = new Map<string, string>();
  const upload = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const bytes = new Uint8Array(await readFile(file));
      const result = await uploadDocument(harness.deps, owner, {
        kind: 'file',
        file: { name: path.basename(file), type: 'text/html', bytes },
      });
      documentIds.set(path.basename(file), result.document.id);
    }
  };
  await Promise.all(Array.from({ length: options.uploadConcurrency ?? 4 }, upload));
  const uploadedMs = performance.now() - started;
  await drainJobs(harness.deps, jobHandlers, {
    concurrency: options.jobConcurrency ?? 4,
    horizonMs: 3_600_000,
  });
  return { documentIds, uploadMs: uploadedMs, totalMs: performance.now() - started };
}
