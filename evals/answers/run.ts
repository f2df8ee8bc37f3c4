// Answer-quality eval of /chat over the PostgreSQL manual: every question in questions.jsonl goes
// through the chat service (hybrid retrieval, context, model, citations) and its answer is scored
// by the rules in score.ts: faithfulness, citation precision and recall, fact recall, and refusal
// when the manual has no answer.
// Usage: npm run eval -- answers [--provider local|openai] [--docs DIR] [--no-cache] [--out FILE]
// The openai provider reads LLM_BASE_URL, OPENAI_API_KEY, LLM_MODEL, EMBEDDING_MODEL and
// EMBEDDING_DIMENSIONS from the environment; the manual is then embedded by that server too.
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { PG_DOCS_DIR } from '../../bench/rag/harness.ts';
import { rowsOf } from '../../src/db/rows.ts';
import type { Deps } from '../../src/deps.ts';
import { answerQuestion } from '../../src/rag/chat/answer-question.ts';
import { OWNER, openCorpus } from '../retrieval/corpus.ts';
import { writeResult } from '../write-result.ts';
import { type CitedChunk, loadQuestions, type ScoredAnswer, scoreAnswer } from './score.ts';

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'local' },
    docs: { type: 'string', default: PG_DOCS_DIR },
    'no-cache': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
if (values.provider !== 'local' && values.provider !== 'openai') {
  console.error('--provider must be local or openai');
  process.exit(2);
}
const PROVIDER_SETTINGS = [
  'LLM_BASE_URL',
  'OPENAI_API_KEY',
  'LLM_MODEL',
  'EMBEDDING_MODEL',
  'EMBEDDING_DIMENSIONS',
  'LLM_TIMEOUT_MS',
];
const env: Record<string, string> =
  values.provider === 'openai'
    ? Object.fromEntries([
        ['LLM_PROVIDER', 'openai'],
        ...PROVIDER_SETTINGS.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
      ])
    : {};

const questions = await loadQuestions();
const corpus = await openCorpus({ kind: 'pglite', dir: values.docs, env, cache: !values['no-cache'] });
const { deps } = corpus.harness;

/** The cited chunks as the model saw them (title and heading path, then the text), with their page. */
async function citedChunks(
  deps: Deps,
  citations: { marker: number; chunkId: number }[],
): Promise<CitedChunk[]> {
  if (citations.length === 0) return [];
  const rows = rowsOf<{
    id: string | number;
    document_id: string;
    text: string;
    heading_path: string[];
    title: string;
  }>(
    await deps.db.execute(sql`
      select c.id, c.document_id, c.text, c.heading_path, d.title
      from chunks c join documents d on d.id = c.document_id
      where c.id in (${sql.join(
        citations.map((c) => sql`${c.chunkId}`),
        sql`, `,
      )})`),
  );
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return citations.flatMap((c) => {
    const row = byId.get(c.chunkId);
    if (!row) return [];
    return [
      {
        marker: c.marker,
        page: corpus.pageOf.get(row.document_id),
        text: [row.title, ...row.heading_path, row.text].join('\n'),
      },
    ];
  });
}

interface Case extends ScoredAnswer {
  question: string;
  answer: string;
  score: number;
  passed: boolean;
  latency_ms: number;
  tokens: { input: number; output: number };
  error?: string;
}

const mean = (xs: (number | null)[]) => {
  const present = xs.filter((x): x is number => x !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0;
};

const started = performance.now();
const cases: Case[] = [];
for (const q of questions) {
  const t0 = performance.now();
  let reply = { answer: '', grounded: false, cited: [] as CitedChunk[] };
  let tokens = { input: 0, output: 0 };
  let error: string | undefined;
  try {
    const result = await answerQuestion(deps, {
      ownerId: OWNER,
      question: q.question,
      meta: { requestId: `eval-${q.id}`, userId: OWNER, route: '/chat' },
    });
    const cited = await citedChunks(deps, result.citations);
    reply = { answer: result.answer, grounded: result.grounded, cited };
    tokens = { input: result.usage?.inputTokens ?? 0, output: result.usage?.outputTokens ?? 0 };
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const scored = scoreAnswer(q, reply);
  // One number per case for eval:compare's per-case listing: the mean of the case's scores.
  const parts = [
    scored.decision_correct ? 1 : 0,
    scored.faithfulness,
    scored.citation_precision,
    scored.citation_recall,
    scored.fact_recall,
  ];
  cases.push({
    ...scored,
    question: q.question,
    answer: reply.answer.slice(0, 1000),
    score: mean(parts),
    passed:
      scored.decision_correct &&
      (scored.faithfulness ?? 1) === 1 &&
      (scored.citation_recall ?? 1) === 1 &&
      (scored.fact_recall ?? 1) === 1,
    latency_ms: Math.round(performance.now() - t0),
    tokens,
    ...(error ? { error } : {}),
  });
}
const answerMs = Math.round(performance.now() - started);
await corpus.close();

const answerable = cases.filter((c) => !c.unanswerable);
const unanswerable = cases.filter((c) => c.unanswerable);
const result = {
  suite: 'answers',
  created_at: new Date().toISOString(),
  provider: values.provider,
  model: deps.llm.chatModel,
  corpus: { pages: corpus.pages, chunks: corpus.chunks },
  questions: { answerable: answerable.length, unanswerable: unanswerable.length },
  // Higher is better for every metric (what eval:compare compares).
  metrics: {
    faithfulness: mean(cases.map((c) => c.faithfulness)),
    citation_precision: mean(answerable.map((c) => c.citation_precision)),
    citation_recall: mean(answerable.map((c) => c.citation_recall)),
    fact_recall: mean(answerable.map((c) => c.fact_recall)),
    refusal_accuracy: mean(cases.map((c) => (c.decision_correct ? 1 : 0))),
    unanswerable_refused: mean(unanswerable.map((c) => (c.refused ? 1 : 0))),
    answerable_answered: mean(answerable.map((c) => (c.refused ? 0 : 1))),
    pass_rate: mean(cases.map((c) => (c.passed ? 1 : 0))),
  },
  usage: {
    tokens_in: cases.reduce((a, c) => a + c.tokens.input, 0),
    tokens_out: cases.reduce((a, c) => a + c.tokens.output, 0),
    mean_latency_ms: mean(cases.map((c) => c.latency_ms)),
    errors: cases.filter((c) => c.error).length,
  },
  timing: { ingest_ms: corpus.ingest.ms, ingest_cached: corpus.ingest.cached, answer_ms: answerMs },
  cases,
};
const out = await writeResult('answers', values.provider, result, values.out);

const fixed = (x: number | null) => (x === null ? '' : Number(x.toFixed(2)));
console.table(
  cases.map((c) => ({
    case: c.id,
    refused: c.refused,
    faithful: fixed(c.faithfulness),
    precision: fixed(c.citation_precision),
    recall: fixed(c.citation_recall),
    facts: fixed(c.fact_recall),
    missing: c.missing_facts.join(' '),
    error: c.error?.slice(0, 40) ?? '',
  })),
);
console.log(
  JSON.stringify({
    suite: 'answers',
    provider: result.provider,
    model: result.model,
    questions: result.questions,
    metrics: result.metrics,
    usage: result.usage,
    timing: result.timing,
  }),
);
console.log(`written to ${out}`);
