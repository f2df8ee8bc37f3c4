// The PostgreSQL manual, ingested by cairn's own pipeline, for the evals that search or chat over it.
// On PGlite the ingested database is kept as a data-directory dump in evals/results/cache/ (not
// committed), keyed by a hash of everything that shapes it (the pages, the ingestion code, the
// migrations, the lockfile, the settings), so the retrieval and answers evals ingest the manual once
// per change, not once per run: in CI the retrieval eval ingests it and the answers eval loads it.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { type Harness, ingestPages, listPages, openHarness } from '../../bench/rag/harness.ts';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { rowsOf } from '../../src/db/rows.ts';
import * as schema from '../../src/db/schema.ts';
import { MIGRATIONS_FOLDER } from '../../src/node/database-paths.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createBatchedUsageWriter } from '../../src/usage/batched-usage-writer.ts';

export const OWNER = 'bench';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE_DIR = path.join(ROOT, 'evals', 'results', 'cache');
// What the ingested database depends on besides the pages and the settings: extraction, chunking,
// ingestion and index versions (src/rag), the local embedder and tokenizer, the schema and its
// migrations, the job queue, the settings, and the versions of PGlite and pgvector.
const SOURCES = [
  'src/rag',
  'src/llm/local',
  'src/llm/tokens',
  'src/db',
  'src/queue',
  'src/config',
  'src/job-handlers.ts',
  'drizzle',
  'package-lock.json',
  'bench/rag/harness.ts',
  'evals/retrieval/corpus.ts',
];
// Read only after ingestion: changing search or chat keeps the cached manual.
const NOT_SOURCES = ['src/rag/search/', 'src/rag/chat/', 'src/rag/conversations/'];
// Settings that change what is ingested or how it is embedded (never a secret).
const MODEL_SETTINGS = ['LLM_PROVIDER', 'LLM_BASE_URL', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSIONS'];
// Vector candidates by exact search: the HNSW graph is built with random levels, so its misses
// differ from one ingestion to the next; with no index (built only past RAG_HNSW_MIN_CHUNKS) every
// ranking is the same in every run, and the evals measure ranking, not the approximate index
// (`npm run bench -- rag` measures HNSW recall).
const EXACT = { RAG_HNSW_MIN_CHUNKS: '100000000' };
// One page and one job at a time: chunk ids, and so ties in every ranking, are the same in every run.
const INGEST = { uploadConcurrency: 1, jobConcurrency: 1 };

export interface Corpus {
  harness: Harness;
  /** The manual's file name of each document id. */
  pageOf: Map<string, string>;
  pages: number;
  chunks: number;
  /** How the corpus was made ready: ingested now, or loaded from the cache. */
  ingest: { ms: number; cached: boolean };
  close(): Promise<void>;
}

async function filesUnder(entry: string): Promise<string[]> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return [];
  if (!info.isDirectory()) return [entry];
  const names = (await readdir(entry)).sort();
  return (await Promise.all(names.map((name) => filesUnder(path.join(entry, name))))).flat();
}

async function cacheKey(files: string[], env: Record<string, string>): Promise<string> {
  const hash = createHash('sha256');
  const sources = (await Promise.all(SOURCES.map((s) => filesUnder(path.join(ROOT, s)))))
    .flat()
    .filter((file) => !NOT_SOURCES.some((prefix) => path.relative(ROOT, file).startsWith(prefix)));
  for (const file of [...sources, ...files]) {
    hash.update(`${path.relative(ROOT, file)}\0`);
    hash.update(await readFile(file));
  }
  hash.update(
    JSON.stringify(
      Object.entries(env).filter(([name]) => MODEL_SETTINGS.includes(name) || name.startsWith('RAG_')),
    ),
  );
  return hash.digest('hex').slice(0, 16);
}

/** cairn's services over PGlite in memory, started from a dump when one is given. */
async function openPgliteHarness(env: Record<string, string>, dump?: Blob) {
  const config = loadConfig({ LOG_LEVEL: 'warn', JWT_SECRET: 'x'.repeat(32), ...env });
  const logger = createLogger({
    level: config.LOG_LEVEL,
    write: (line) => process.stderr.write(`${line}\n`),
  });
  const client = await PGlite.create({ extensions: { vector }, ...(dump ? { loadDataDir: dump } : {}) });
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const usage = createBatchedUsageWriter({ db, logger, batchSize: 500, flushIntervalMs: 1000 });
  const deps = completeDeps(buildDeps({ config, logger }), db, usage);
  await db.execute(sql`insert into users (id) values (${OWNER}) on conflict do nothing`);
  const harness: Harness = {
    kind: 'pglite',
    deps,
    database: { kind: 'pglite', db, migrate: async () => {}, close: () => client.close() },
    async close() {
      await usage.close();
      await client.close();
    },
  };
  return { harness, client };
}

async function pagesOf(harness: Harness): Promise<Map<string, string>> {
  const rows = rowsOf<{ id: string; source: string | null; title: string }>(
    await harness.deps.db.execute(sql`select id, source, title from documents where owner_id = ${OWNER}`),
  );
  return new Map(rows.map((r) => [r.id, r.source ?? r.title]));
}

/** Fails when a page did not make it into the index (its job dead, say): the figures would lie. */
async function assertIngested(harness: Harness): Promise<void> {
  const failed = rowsOf<{ source: string | null; status: string; error: string | null }>(
    await harness.deps.db.execute(
      sql`select source, status, error from documents where owner_id = ${OWNER} and status <> 'ready' limit 3`,
    ),
  );
  if (failed.length > 0) {
    const examples = failed.map((d) => `${d.source}: ${d.status} ${d.error ?? ''}`.trim()).join('; ');
    throw new Error(`ingestion did not finish: ${examples}`);
  }
}

async function countChunks(harness: Harness): Promise<number> {
  const [row] = rowsOf<{ n: string | number }>(
    await harness.deps.db.execute(sql`select count(*) as n from chunks where owner_id = ${OWNER}`),
  );
  return Number(row?.n ?? 0);
}

/**
 * The manual's pages in `dir`, ingested for the user "bench": on PostgreSQL into a fresh database
 * next to `postgresUrl` (dropped on close), on PGlite in memory, from the cache when it is current
 * (unless `cache` is false). `env` holds the settings the app is configured with.
 */
export async function openCorpus(options: {
  kind: 'pglite' | 'postgres';
  dir: string;
  postgresUrl?: string | undefined;
  env?: Record<string, string>;
  cache?: boolean;
}): Promise<Corpus> {
  const env = { ...EXACT, ...options.env };
  const files = await listPages(options.dir);
  const started = performance.now();
  const ready = async (
    harness: Harness,
    cached: boolean,
    ms: number,
    pageOf?: Map<string, string>,
  ): Promise<Corpus> => {
    const pages = pageOf ?? (await pagesOf(harness));
    return {
      harness,
      pageOf: pages,
      pages: pages.size,
      chunks: await countChunks(harness),
      ingest: { ms: Math.round(ms), cached },
      close: () => harness.close(),
    };
  };
  const byId = (documentIds: Map<string, string>) =>
    new Map([...documentIds].map(([page, id]) => [id, page]));

  if (options.kind === 'postgres') {
    const harness = await openHarness({ kind: 'postgres', postgresUrl: options.postgresUrl, env });
    const { documentIds } = await ingestPages(harness, files, INGEST);
    await assertIngested(harness);
    return ready(harness, false, performance.now() - started, byId(documentIds));
  }

  const useCache = options.cache ?? true;
  const key = useCache ? await cacheKey(files, env) : '';
  const file = path.join(CACHE_DIR, `manual-${key}.tar.gz`);
  const dump = useCache ? await readFile(file).catch(() => undefined) : undefined;
  if (dump) {
    const { harness } = await openPgliteHarness(env, new Blob([dump]));
    return ready(harness, true, performance.now() - started);
  }
  const { harness, client } = await openPgliteHarness(env);
  const { documentIds } = await ingestPages(harness, files, INGEST);
  await assertIngested(harness);
  const ingestMs = performance.now() - started;
  if (useCache) {
    await mkdir(CACHE_DIR, { recursive: true });
    for (const old of await readdir(CACHE_DIR)) {
      if (old.startsWith('manual-')) await rm(path.join(CACHE_DIR, old), { force: true });
    }
    const tarball = await client.dumpDataDir('gzip');
    await writeFile(file, new Uint8Array(await tarball.arrayBuffer()));
  }
  return ready(harness, false, ingestMs, byId(documentIds));
}
