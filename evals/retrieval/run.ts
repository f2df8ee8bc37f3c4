// Retrieval eval over the PostgreSQL manual: every question is searched in each mode and scored at
// page level (a question is recalled at k when a page that answers it is among the first k distinct
// pages). Usage: npm run eval -- retrieval [--database pglite|postgres] [--postgres-url URL] [--out FILE]
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ingestPages, listPages, openHarness, PG_DOCS_DIR } from '../../bench/rag/harness.ts';
import { bm25PageBaseline } from './bm25-pages.ts';
import { loadQuestions, scoreRetrieval } from './score.ts';

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'pglite' },
    'postgres-url': { type: 'string', default: process.env.TEST_DATABASE_URL },
    out: { type: 'string' },
    docs: { type: 'string', default: PG_DOCS_DIR },
  },
});
const kind = values.database === 'postgres' ? 'postgres' : 'pglite';
const questions = await loadQuestions();

const harness = await openHarness({ kind, postgresUrl: values['postgres-url'] });
const files = await listPages(values.docs);
const ingest = await ingestPages(harness, files);
const pageOf = new Map([...ingest.documentIds].map(([page, id]) => [id, page]));

const scored = await scoreRetrieval(harness.deps, { ownerId: 'bench', questions, pageOf });
const { ranks } = scored;
const metrics = {
  ...scored.metrics,
  baseline_bm25_pages: await bm25PageBaseline(harness.deps.db, { ownerId: 'bench', questions, pageOf }),
};
await harness.close();

const result = {
  suite: 'retrieval',
  created_at: new Date().toISOString(),
  database: kind,
  corpus: { pages: files.length, dir: values.docs },
  questions: questions.length,
  metrics,
  ranks,
};
const out =
  values.out ??
  path.join(
    import.meta.dirname,
    '..',
    'results',
    `retrieval-${result.created_at.replace(/[:.]/g, '-')}.json`,
  );
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.table(
  Object.fromEntries(
    Object.entries(metrics).map(([mode, m]) => [
      mode,
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v.toFixed(3))])),
    ]),
  ),
);
const missed = Object.entries(ranks)
  .filter(([, r]) => !r.hybrid || r.hybrid > 5)
  .map(([id, r]) => `${id} (hybrid rank ${r.hybrid ?? '-'})`);
console.log(
  JSON.stringify({
    suite: 'retrieval',
    database: kind,
    pages: files.length,
    questions: questions.length,
    metrics,
  }),
);
if (missed.length) console.log(`not in the hybrid top 5: ${missed.join(', ')}`);
console.log(`written to ${out}`);
