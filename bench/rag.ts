// `npm run bench -- rag [--database pglite|postgres|both] [--postgres-url URL] [--scale 100000] [--iterations 200]`
// Ingests the PostgreSQL manual (embedded and/or PostgreSQL), then measures search latency per mode
// (in the database, through the service, over HTTP), HNSW recall@10 against exact search, the same
// at --scale chunks (synthetic copies, PostgreSQL), and the process's peak memory. JSON + a table.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { loadQuestions } from '../evals/retrieval/score.ts';
import { createApp } from '../src/app.ts';
import { mintToken } from '../src/auth/mint-token.ts';
import { rowsOf } from '../src/db/rows.ts';
import { findActiveVersion } from '../src/rag/index-versions/ensure-active-version.ts';
import { createVectorIndex } from '../src/rag/index-versions/vector-index.ts';
import { vectorLiteral } from '../src/rag/ingest/embed.ts';
import { queryTerms } from '../src/rag/search/query-terms.ts';
import { searchChunks } from '../src/rag/search/search-chunks.ts';
import {
  fulltextRanking,
  hybridRanking,
  type SearchMode,
  type SearchScope,
  vectorRanking,
  withDetails,
} from '../src/rag/search/search-query.ts';
import { type Harness, ingestPages, listPages, openHarness, PG_DOCS_DIR } from './rag/harness.ts';
import { hnswRecallAt10 } from './rag/hnsw-recall.ts';
import { measure } from './rag/latency.ts';
import { growWithCopies } from './rag/scale.ts';

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'both' },
    'postgres-url': { type: 'string', default: process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL },
    scale: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '200' },
    docs: { type: 'string', default: PG_DOCS_DIR },
    child: { type: 'boolean', default: false },
  },
});
const modes: SearchMode[] = ['vector', 'fulltext', 'hybrid'];
const iterations = Number(values.iterations);

// Each database runs in its own process, so peak memory is that backend's alone.
if (!values.child) {
  const kinds = values.database === 'both' ? ['pglite', 'postgres'] : [values.database!];
  const runs = kinds.map((kind) => {
    const args = [
      import.meta.filename,
      '--child',
      '--database',
      kind,
      '--scale',
      values.scale!,
      '--iterations',
      values.iterations!,
      '--docs',
      values.docs!,
    ];
    if (values['postgres-url']) args.push('--postgres-url', values['postgres-url']);
    const output = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    return JSON.parse(output.trim().split('\n').at(-1)!);
  });
  const result = { bench: 'rag', created_at: new Date().toISOString(), runs };
  const out = path.join(
    import.meta.dirname,
    'results',
    `rag-${result.created_at.replace(/[:.]/g, '-')}.json`,
  );
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  const rows: Record<string, unknown>[] = [];
  for (const run of runs) {
    rows.push({
      database: run.database,
      what: 'ingest',
      pages_per_s: run.ingest.pages_per_s,
      chunks_per_s: run.ingest.chunks_per_s,
      seconds: run.ingest.seconds,
      chunks: run.ingest.chunks,
    });
    for (const stage of run.stages) {
      for (const [where, perMode] of Object.entries(
        stage.latency_ms as Record<string, Record<string, { p50: number; p95: number; p99: number }>>,
      )) {
        for (const [mode, p] of Object.entries(perMode)) {
          rows.push({
            database: run.database,
            what: `${where} ${mode} @${stage.chunks}`,
            p50_ms: p.p50,
            p95_ms: p.p95,
            p99_ms: p.p99,
          });
        }
      }
      for (const [ef, recall] of Object.entries(stage.hnsw_recall_at_10 as Record<string, number>)) {
        rows.push({ database: run.database, what: `hnsw recall@10 ${ef} @${stage.chunks}`, recall });
      }
    }
    rows.push({ database: run.database, what: 'peak rss', mb: run.peak_rss_mb });
  }
  console.table(rows);
  console.log(JSON.stringify(result));
  console.error(`written to ${out}`);
  process.exit(0);
}

const kind = values.database === 'postgres' ? 'postgres' : 'pglite';
// Caches off: every search embeds and ranks, as distinct queries would.
const harness = await openHarness({
  kind,
  postgresUrl: values['postgres-url'],
  env: { RAG_CACHE_ENTRIES: '0', RATE_LIMIT_POLICIES: 'model:1000000/1s;read:1000000/1s;write:1000000/1s' },
});
const log = (msg: string) => process.stderr.write(`[bench rag ${kind}] ${msg}\n`);

const files = await listPages(values.docs);
log(`ingesting ${files.length} pages`);
const ingest = await ingestPages(harness, files);
const chunkCount = async () =>
  Number(
    rowsOf<{ n: number }>(await harness.deps.db.execute(sql`select count(*)::int as n from chunks`))[0]!.n,
  );
const chunks = await chunkCount();
const ingestResult = {
  pages: files.length,
  chunks,
  seconds: Math.round(ingest.totalMs / 100) / 10,
  upload_seconds: Math.round(ingest.uploadMs / 100) / 10,
  pages_per_s: Math.round((files.length / ingest.totalMs) * 1000 * 10) / 10,
  chunks_per_s: Math.round((chunks / ingest.totalMs) * 1000),
};
log(`ingested: ${JSON.stringify(ingestResult)}`);

const questions = (await loadQuestions()).map((q) => q.question);
const sampleTexts = rowsOf<{ text: string }>(
  await harness.deps.db.execute(sql`select left(text, 200) as text from chunks order by id limit 2000`),
)
  .filter((_, i) => i % 40 === 0)
  .map((r) => r.text);
const queries = [...questions, ...sampleTexts];

async function stage(label: string) {
  const version = (await findActiveVersion(harness.deps.db))!;
  if (!version.vectorIndexedAt) await createVectorIndex(harness.deps.db, version);
  const watermark = Number(
    rowsOf<{ max: string }>(await harness.deps.db.execute(sql`select max(id) as max from chunks`))[0]!.max,
  );
  const scope: SearchScope = {
    versionId: version.id,
    dimensions: version.dimensions,
    ownerId: 'bench',
    watermark,
  };
  const prepared = await Promise.all(
    queries.map(async (query) => ({
      query,
      vector: vectorLiteral(
        (await harness.deps.llm.embed({ texts: [query], meta: { route: 'bench' } })).vectors[0]!,
      ),
      terms: await queryTerms(harness.deps, scope, query),
    })),
  );
  const ef = String(harness.deps.config.RAG_HNSW_EF_SEARCH);
  const database: Record<string, unknown> = {};
  for (const mode of modes) {
    database[mode] = await measure(prepared, iterations, (q) =>
      harness.deps.db.transaction(async (tx) => {
        await tx.execute(
          sql`select set_config('hnsw.ef_search', ${ef}, true), set_config('hnsw.iterative_scan', 'strict_order', true)`,
        );
        const ranking =
          mode === 'vector'
            ? vectorRanking(scope, q.vector, 11)
            : mode === 'fulltext'
              ? fulltextRanking(scope, q.terms, 11)
              : hybridRanking(
                  scope,
                  { terms: q.terms, vector: q.vector },
                  {
                    candidates: harness.deps.config.RAG_SEARCH_CANDIDATES,
                    rrfK: harness.deps.config.RAG_RRF_K,
                  },
                  11,
                );
        return tx.execute(withDetails(ranking));
      }),
    );
  }
  const service: Record<string, unknown> = {};
  for (const mode of modes) {
    service[mode] = await measure(queries, iterations, (query) =>
      searchChunks(harness.deps, { ownerId: 'bench', query, topK: 10, mode, meta: { route: 'bench' } }),
    );
  }
  const http = await overHttp(harness);
  const vectors = prepared.map((p) => p.vector);
  const recall: Record<string, number> = {};
  for (const efSearch of [40, 100, 200, 400]) {
    recall[`ef_search_${efSearch}`] = await hnswRecallAt10(harness.deps.db, scope, vectors, efSearch);
  }
  log(`${label}: measured`);
  return {
    chunks: await chunkCount(),
    latency_ms: { database, service, http },
    hnsw_recall_at_10: recall,
    ef_search: Number(ef),
  };
}

async function overHttp(h: Harness) {
  const app = createApp(() => h.deps);
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve({ server, port: info.port }),
      );
    },
  );
  const token = await mintToken({ secret: h.deps.config.JWT_SECRET!, sub: 'bench', role: 'user' });
  const results: Record<string, unknown> = {};
  for (const mode of modes) {
    results[mode] = await measure(queries, iterations, async (query) => {
      const res = await fetch(`http://127.0.0.1:${port}/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, mode, top_k: 10 }),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    });
  }
  await new Promise((resolve) => server.close(resolve));
  return results;
}

const stages = [await stage('full corpus')];
const scale = Number(values.scale);
if (kind === 'postgres' && scale > chunks) {
  const version = (await findActiveVersion(harness.deps.db))!;
  log(`growing to ${scale} chunks with synthetic copies`);
  await growWithCopies(harness.deps.db, version.id, scale);
  const started = performance.now();
  await createVectorIndex(harness.deps.db, (await findActiveVersion(harness.deps.db))!);
  log(`HNSW index over ${scale} chunks built in ${Math.round(performance.now() - started)} ms`);
  stages.push(await stage(`${scale} chunks`));
}
await harness.close();
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ database: kind, ingest: ingestResult, stages, peak_rss_mb: peakRssMb }));
