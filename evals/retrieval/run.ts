// Retrieval eval over the PostgreSQL manual: every question is searched in each mode (and hybrid
// grouped by document) and scored at page level, next to BM25 over whole pages. A question is
// recalled at k when a page that answers it is among the first k distinct pages; MRR@10 counts
// ranks past 10 as 0. The local provider's hashed embeddings are the default (what CI gates).
// Usage: npm run eval -- retrieval [--database pglite|postgres] [--postgres-url URL] [--docs DIR]
//        [--no-cache] [--out FILE]
import { parseArgs } from 'node:util';
import { PG_DOCS_DIR } from '../../bench/rag/harness.ts';
import { writeResult } from '../write-result.ts';
import { bm25PageBaseline } from './bm25-pages.ts';
import { OWNER, openCorpus } from './corpus.ts';
import { loadQuestions, scoreRetrieval } from './score.ts';

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'pglite' },
    'postgres-url': { type: 'string', default: process.env.TEST_DATABASE_URL },
    out: { type: 'string' },
    docs: { type: 'string', default: PG_DOCS_DIR },
    'no-cache': { type: 'boolean', default: false },
  },
});
const kind = values.database === 'postgres' ? 'postgres' : 'pglite';
const questions = await loadQuestions();

const corpus = await openCorpus({
  kind,
  dir: values.docs,
  postgresUrl: values['postgres-url'],
  cache: !values['no-cache'],
});
const { deps } = corpus.harness;
const started = performance.now();
const scored = await scoreRetrieval(deps, { ownerId: OWNER, questions, pageOf: corpus.pageOf });
const searchMs = Math.round(performance.now() - started);
const bm25 = await bm25PageBaseline(deps.db, { ownerId: OWNER, questions, pageOf: corpus.pageOf });
await corpus.close();

const ranks = Object.fromEntries(
  questions.map((q) => [q.id, { ...scored.ranks[q.id], bm25_pages: bm25.ranks[q.id] ?? null }]),
);
const result = {
  suite: 'retrieval',
  created_at: new Date().toISOString(),
  database: kind,
  provider: 'local',
  model: deps.llm.embeddingModel,
  corpus: { pages: corpus.pages, chunks: corpus.chunks },
  questions: questions.length,
  // Higher is better for every metric (what eval:compare compares); bm25_pages is the reference.
  metrics: { ...scored.metrics, bm25_pages: bm25.metrics },
  timing: {
    ingest_ms: corpus.ingest.ms,
    ingest_cached: corpus.ingest.cached,
    search_ms: searchMs,
  },
  ranks,
};
const out = await writeResult('retrieval', `local-${kind}`, result, values.out);

console.table(
  Object.fromEntries(
    Object.entries(result.metrics).map(([ranking, m]) => [
      ranking,
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v.toFixed(3))])),
    ]),
  ),
);
const missed = Object.entries(ranks)
  .filter(([, r]) => !r.hybrid || r.hybrid > 5)
  .map(([id, r]) => `${id} (${r.hybrid ?? '-'}, bm25 ${r.bm25_pages ?? '-'})`);
if (missed.length) console.log(`not in the hybrid top 5 (hybrid rank, bm25 rank): ${missed.join(', ')}`);
console.log(
  JSON.stringify({
    suite: 'retrieval',
    database: kind,
    corpus: result.corpus,
    questions: questions.length,
    timing: result.timing,
    metrics: result.metrics,
  }),
);
console.log(`written to ${out}`);
