// The prompt-injection eval: every row of labelled.jsonl (hand-written injection and benign texts in
// nine languages, as caller inputs, documents and tool results) goes through detectInjection, and
// the verdicts are scored against the labels: precision, recall, F1 and accuracy overall, per split,
// per language and per source. Rules are tuned on the dev split only; the test split is the figure
// to report. Usage: npm run eval -- injection [--out FILE]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { detectInjection, INJECTION_THRESHOLD } from '../../src/security/injection-detector.ts';
import { writeResult } from '../write-result.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });

interface Row {
  id: string;
  text: string;
  label: 'injection' | 'benign';
  lang: string;
  source: 'input' | 'document' | 'tool_result';
  technique: string;
  split: 'dev' | 'test';
}

interface Verdict {
  row: Row;
  flagged: boolean;
  score: number;
  signals: string[];
  micros: number;
}

const rows = (await readFile(path.join(import.meta.dirname, 'labelled.jsonl'), 'utf8'))
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as Row);

// Warm-up over every row: the first calls compile each pattern and the JIT tiers up, so the
// timings below are the steady state a server sees.
for (const row of rows) detectInjection(row.text);

const verdicts: Verdict[] = rows.map((row) => {
  const started = performance.now();
  const verdict = detectInjection(row.text);
  return { row, ...verdict, micros: (performance.now() - started) * 1000 };
});

const round = (x: number) => Math.round(x * 1000) / 1000;

function scoreOf(group: Verdict[]) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const v of group) {
    const positive = v.row.label === 'injection';
    if (v.flagged && positive) tp++;
    else if (v.flagged) fp++;
    else if (positive) fn++;
    else tn++;
  }
  // An empty denominator scores 1: no false alarm is possible without a flag, no miss without a positive.
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    precision: round(precision),
    recall: round(recall),
    f1: round(f1),
    accuracy: round((tp + tn) / group.length),
    counts: { rows: group.length, tp, fp, fn, tn },
  };
}

function groupedBy(key: (row: Row) => string) {
  const groups = new Map<string, Verdict[]>();
  for (const v of verdicts) groups.set(key(v.row), [...(groups.get(key(v.row)) ?? []), v]);
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => [k, scoreOf(g)]),
  );
}

const overall = scoreOf(verdicts);
const bySplit = groupedBy((r) => r.split);
const byLang = groupedBy((r) => r.lang);
const bySource = groupedBy((r) => r.source);
const byTechnique = groupedBy((r) => r.technique);

const quality = ({ precision, recall, f1, accuracy }: ReturnType<typeof scoreOf>) => ({
  precision,
  recall,
  f1,
  accuracy,
});

const times = verdicts.map((v) => v.micros).sort((a, b) => a - b);
const percentile = (p: number) =>
  times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0;

const misclassified = (split: Row['split']) =>
  verdicts
    .filter((v) => v.row.split === split && v.flagged !== (v.row.label === 'injection'))
    .map((v) => ({ id: v.row.id, label: v.row.label, score: v.score, signals: v.signals.join(' ') }));

const result = {
  suite: 'injection',
  created_at: new Date().toISOString(),
  provider: 'local',
  threshold: INJECTION_THRESHOLD,
  // Higher is better for every metric (what eval:compare compares); deterministic, so no timings.
  metrics: {
    overall: quality(overall),
    split: Object.fromEntries(Object.entries(bySplit).map(([k, s]) => [k, quality(s)])),
    lang: Object.fromEntries(Object.entries(byLang).map(([k, s]) => [k, quality(s)])),
    source: Object.fromEntries(Object.entries(bySource).map(([k, s]) => [k, quality(s)])),
  },
  counts: {
    overall: overall.counts,
    split: Object.fromEntries(Object.entries(bySplit).map(([k, s]) => [k, s.counts])),
  },
  recall_by_technique: Object.fromEntries(
    Object.entries(byTechnique)
      .filter(([k]) => k !== 'none')
      .map(([k, s]) => [k, s.recall]),
  ),
  timing_us: { p50: round(percentile(50)), p99: round(percentile(99)), max: round(times.at(-1) ?? 0) },
  misclassified: { test: misclassified('test'), dev: misclassified('dev') },
};

const out = await writeResult('injection', 'local', result, values.out);
const table = (title: string, groups: Record<string, ReturnType<typeof scoreOf>>) => {
  console.log(title);
  console.table(
    Object.fromEntries(Object.entries(groups).map(([k, s]) => [k, { ...quality(s), ...s.counts }])),
  );
};
table('overall and per split', { all: overall, ...bySplit });
table('per language', byLang);
table('per source', bySource);
console.log('misclassified test rows');
console.table(result.misclassified.test);
console.log(
  JSON.stringify({
    suite: 'injection',
    rows: rows.length,
    test: quality(bySplit.test ?? overall),
    dev: quality(bySplit.dev ?? overall),
    time_per_row_us: result.timing_us,
  }),
);
console.log(`written to ${out}`);
