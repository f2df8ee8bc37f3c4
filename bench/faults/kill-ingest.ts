// kill -9 of the Node server in the middle of ingesting 200 documents, then a restart on the same
// data: every document must reach `ready`, once, with the chunks a clean ingestion of the same
// documents makes (none duplicated, none lost). On the embedded database (DATA_DIR) and on
// PostgreSQL (a throwaway cluster). On PostgreSQL the restarted process takes the interrupted
// jobs over once their lease expires (JOB_LEASE_S, 10 s here); the embedded database has one
// process, so it re-queues them at start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config/load-config.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { type DatabaseHandle, openPglite, openPostgres } from '../../src/node/open-database.ts';
import { bearer, type CairnProcess, startCairn } from './cairn-process.ts';
import { type FaultRun, UNLIMITED } from './fault-run.ts';
import { round, sleep } from './load-loop.ts';
import { type PostgresInstance, startPostgresInstance } from './postgres-instance.ts';

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '200' },
    'kill-at': { type: 'string', default: '0.3' },
    only: { type: 'string' },
  },
  strict: false,
});
const DOCUMENTS = Number(values.documents);
// The kill comes once this share of the documents is ready.
const KILL_AT = Number(values['kill-at']);
const SUB = 'faults-ingest';

const WORDS =
  'write ahead logging checkpoint vacuum replica tuple index btree heap page buffer commit rollback snapshot isolation lock latch planner executor'.split(
    ' ',
  );

/** Document `i`: plain text of 6 to 40 KB, the same on every run, different from every other. */
function documentText(i: number): string {
  let seed = i * 2654435761;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const target = 6000 + (next() % 34000);
  const paragraphs: string[] = [];
  let length = 0;
  for (let p = 0; length < target; p++) {
    const words = Array.from({ length: 40 + (next() % 60) }, () => WORDS[next() % WORDS.length]);
    const paragraph = `Document ${i}, paragraph ${p}: ${words.join(' ')}.`;
    paragraphs.push(paragraph);
    length += paragraph.length + 2;
  }
  return paragraphs.join('\n\n');
}

interface Outcome {
  statuses: Record<string, number>;
  /** Chunks per document, by title (ids differ between runs). */
  chunks: Map<string, number>;
}

async function listAll(server: CairnProcess, headers: Record<string, string>): Promise<Outcome> {
  const statuses: Record<string, number> = {};
  const chunks = new Map<string, number>();
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await fetch(`${server.url}/documents?limit=100${query}`, { headers });
    if (!res.ok) throw new Error(`GET /documents answered ${res.status}`);
    const page = (await res.json()) as {
      items: { title: string; status: string; chunk_count: number }[];
      next_cursor: string | null;
    };
    for (const doc of page.items) {
      statuses[doc.status] = (statuses[doc.status] ?? 0) + 1;
      chunks.set(doc.title, doc.chunk_count);
    }
    cursor = page.next_cursor;
  } while (cursor);
  return { statuses, chunks };
}

async function upload(server: CairnProcess, headers: Record<string, string>) {
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < DOCUMENTS; i = next++) {
        const res = await fetch(`${server.url}/documents`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ title: `doc-${i}`, content: documentText(i) }),
        });
        if (res.status !== 202) throw new Error(`upload ${i} answered ${res.status}: ${await res.text()}`);
        accepted++;
      }
    }),
  );
  return accepted;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** What the database holds once the server has stopped. */
async function inspect(handle: DatabaseHandle) {
  const one = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await handle.db.execute(query))[0]!;
  const duplicated = await one<{ n: number }>(sql`select count(*)::int as n from (
      select 1 from chunks group by document_id, index_version_id, ordinal having count(*) > 1) d`);
  const ingestions = await one<{ most: number | null; documents: number }>(sql`
      select max(n)::int as most, count(*)::int as documents from (
        select document_id, count(*) as n from document_ingestions group by document_id) d`);
  const jobs = await one<{ done: number; other: number; reruns: number }>(sql`
      select count(*) filter (where status = 'done')::int as done,
             count(*) filter (where status <> 'done')::int as other,
             count(*) filter (where attempts > 1)::int as reruns
      from jobs where kind = 'rag.ingest'`);
  const total = await one<{ n: number }>(sql`select count(*)::int as n from chunks`);
  return {
    duplicated: duplicated.n,
    ingestionsPerDocMax: ingestions.most ?? 0,
    ingested: ingestions.documents,
    jobs,
    chunks: total.n,
  };
}

interface Target {
  name: 'embedded' | 'postgres';
  env: Record<string, string>;
  open: () => Promise<DatabaseHandle>;
  cleanup: () => Promise<void>;
}

async function target(name: Target['name'], label: string, instance?: PostgresInstance): Promise<Target> {
  if (name === 'embedded') {
    const dataDir = await mkdtemp(path.join(tmpdir(), `cairn-faults-${label}-`));
    return {
      name,
      env: { DATA_DIR: dataDir },
      open: async () => openPglite(path.join(dataDir, 'pglite')),
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const url = await instance!.createDatabase(`ingest_${label}`);
  return {
    name,
    env: { DATABASE_URL: url },
    open: async () => openPostgres(loadConfig({}), url),
    cleanup: async () => {},
  };
}

const settings = {
  JOB_CONCURRENCY: '2',
  JOB_POLL_INTERVAL_MS: '200',
  JOB_LEASE_S: '10',
  RATE_LIMIT_POLICIES: UNLIMITED,
};

async function ingestion(t: Target, kill: boolean) {
  const headers = await bearer(SUB);
  let server = await startCairn({ ...settings, ...t.env });
  const started = performance.now();
  const uploaded = await upload(server, headers);
  const uploadMs = performance.now() - started;
  let killedAt: Record<string, number> | undefined;
  let restartListenMs: number | undefined;
  let killMoment = 0;
  if (kill) {
    await waitUntil(
      async () => ((await listAll(server, headers)).statuses.ready ?? 0) >= DOCUMENTS * KILL_AT,
      600_000,
      'documents ready before the kill',
    );
    killedAt = (await listAll(server, headers)).statuses;
    await server.kill();
    killMoment = performance.now();
    server = await startCairn({ ...settings, ...t.env });
    restartListenMs = performance.now() - killMoment;
  }
  await waitUntil(
    async () => {
      const { statuses } = await listAll(server, headers);
      return (statuses.ready ?? 0) + (statuses.failed ?? 0) >= DOCUMENTS;
    },
    900_000,
    'every document ingested',
  );
  const finishedMs = performance.now() - (kill ? killMoment : started);
  const outcome = await listAll(server, headers);
  const resumed = server.lines.filter((l) => l.includes('resuming interrupted jobs')).length > 0;
  await server.stop();
  const handle = await t.open();
  const stored = await inspect(handle);
  await handle.close();
  return { uploaded, uploadMs, killedAt, restartListenMs, finishedMs, outcome, stored, resumed };
}

export async function run(): Promise<FaultRun> {
  const defects: string[] = [];
  const rows: Record<string, unknown>[] = [];
  const kinds = (['embedded', 'postgres'] as const).filter((k) => !values.only || values.only === k);
  const instance = kinds.includes('postgres') ? await startPostgresInstance() : undefined;
  try {
    for (const kind of kinds) {
      const cleanTarget = await target(kind, 'clean', instance);
      const clean = await ingestion(cleanTarget, false).finally(() => cleanTarget.cleanup());
      const faultTarget = await target(kind, 'killed', instance);
      const fault = await ingestion(faultTarget, true).finally(() => faultTarget.cleanup());

      let lost = 0;
      let extra = 0;
      let mismatched = 0;
      for (const [title, expected] of clean.outcome.chunks) {
        const got = fault.outcome.chunks.get(title) ?? 0;
        if (got !== expected) mismatched++;
        if (got < expected) lost += expected - got;
        if (got > expected) extra += got - expected;
      }
      const row = {
        database: kind,
        documents: DOCUMENTS,
        uploaded: fault.uploaded,
        at_kill: JSON.stringify(fault.killedAt),
        restart_listening_ms: round(fault.restartListenMs ?? 0),
        all_ready_after_kill_s: round(fault.finishedMs / 1000),
        clean_ingest_s: round(clean.finishedMs / 1000),
        ready: fault.outcome.statuses.ready ?? 0,
        failed: fault.outcome.statuses.failed ?? 0,
        jobs_done: fault.stored.jobs.done,
        jobs_not_done: fault.stored.jobs.other,
        jobs_rerun_after_kill: fault.stored.jobs.reruns,
        ingestions_per_doc_max: fault.stored.ingestionsPerDocMax,
        chunks_clean: clean.stored.chunks,
        chunks_after_kill: fault.stored.chunks,
        duplicated_chunk_ordinals: fault.stored.duplicated,
        docs_chunk_count_mismatch: mismatched,
        chunks_lost: lost,
        chunks_extra: extra,
      };
      rows.push(row);
      if (row.ready !== DOCUMENTS)
        defects.push(
          `${kind}: ${row.ready}/${DOCUMENTS} documents ready after the restart (${row.failed} failed)`,
        );
      if (row.ingestions_per_doc_max > 1 || row.jobs_done !== DOCUMENTS)
        defects.push(
          `${kind}: ${row.jobs_done} ingestion jobs done for ${DOCUMENTS} documents, up to ${row.ingestions_per_doc_max} ingestions of one document`,
        );
      if (row.duplicated_chunk_ordinals > 0 || mismatched > 0)
        defects.push(
          `${kind}: ${row.duplicated_chunk_ordinals} duplicated chunk ordinals, ${mismatched} documents whose chunk count differs from a clean ingestion (${lost} lost, ${extra} extra)`,
        );
      if (clean.stored.chunks !== fault.stored.chunks)
        defects.push(
          `${kind}: ${fault.stored.chunks} chunks after the kill, ${clean.stored.chunks} in a clean ingestion`,
        );
      if (kind === 'embedded' && !fault.resumed)
        defects.push('embedded: the restarted process did not log "resuming interrupted jobs"');
    }
  } finally {
    await instance?.destroy();
  }
  return {
    scenario: 'kill-ingest',
    setup: {
      documents: DOCUMENTS,
      kill_when_ready_share: KILL_AT,
      ...settings,
      RATE_LIMIT_POLICIES: 'unlimited',
    },
    rows,
    defects,
  };
}
