// `npm run eval:compare -- <before.json> <after.json> [--tolerance 0.01]`: compares the metrics of two
// eval results (higher is better for every metric) and prints a verdict; exits 1 on a regression.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { tolerance: { type: 'string', default: '0.01' } },
});
if (positionals.length !== 2) {
  console.error('usage: npm run eval:compare -- <before.json> <after.json> [--tolerance 0.01]');
  process.exit(2);
}
const tolerance = Number(values.tolerance);
const [before, after] = await Promise.all(
  positionals.map(
    async (file) => JSON.parse(await readFile(file, 'utf8')) as { suite: string; metrics: unknown },
  ),
);
if (before!.suite !== after!.suite) {
  console.error(`different suites: ${before!.suite} vs ${after!.suite}`);
  process.exit(2);
}

// Flattens {hybrid: {recall_at_5: 0.9}} into [["hybrid.recall_at_5", 0.9]].
function flatten(value: unknown, prefix = ''): [string, number][] {
  if (typeof value === 'number') return [[prefix, value]];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
}

const old = new Map(flatten(before!.metrics));
const rows = flatten(after!.metrics)
  .filter(([name]) => old.has(name))
  .map(([name, value]) => {
    const delta = value - old.get(name)!;
    const verdict = delta > tolerance ? 'better' : delta < -tolerance ? 'WORSE' : 'same';
    return { metric: name, before: old.get(name)!, after: value, delta: Number(delta.toFixed(4)), verdict };
  });
console.table(rows);

// Suites that score individual cases (analyze) also list the cases whose score moved.
type ScoredCase = { id: string; score: number; passed?: boolean };
const casesOf = (report: unknown) => (report as { cases?: ScoredCase[] }).cases;
const beforeCases = new Map((casesOf(before) ?? []).map((c) => [c.id, c]));
const caseRows = (casesOf(after) ?? []).flatMap((c) => {
  const prior = beforeCases.get(c.id);
  if (!prior || prior.score === c.score) return [];
  const verdict = prior.passed && !c.passed ? 'NOW FAILING' : c.score < prior.score ? 'worse' : 'better';
  return [
    {
      case: c.id,
      before: prior.score,
      after: c.score,
      delta: Number((c.score - prior.score).toFixed(4)),
      verdict,
    },
  ];
});
if (caseRows.length > 0) console.table(caseRows);
const newlyFailing = caseRows.filter((r) => r.verdict === 'NOW FAILING').length;

const worse = rows.filter((r) => r.verdict === 'WORSE').length;
const better = rows.filter((r) => r.verdict === 'better').length;
const verdict = worse > 0 ? 'regression' : better > 0 ? 'improvement' : 'no change';
console.log(
  JSON.stringify({
    suite: after!.suite,
    verdict,
    better,
    worse,
    newly_failing_cases: newlyFailing,
    tolerance,
  }),
);
process.exit(worse > 0 ? 1 : 0);
