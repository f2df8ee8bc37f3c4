// `npm run bench -- faults [kill-ingest|pg-restart|flapping-upstream|guard-store]` (all when none):
// fault-injection runs against cairn's Node entry as a real process. Each scenario prints its
// figures as JSON and a table, and lists what it found wrong (`defects`); the exit code is 1 when
// any run found one. PostgreSQL runs use a throwaway cluster of their own (bench/faults/postgres-instance.ts).
import type { FaultRun } from './faults/fault-run.ts';

const scenarios: Record<string, () => Promise<{ run: () => Promise<FaultRun> }>> = {
  'kill-ingest': () => import('./faults/kill-ingest.ts'),
  'pg-restart': () => import('./faults/pg-restart.ts'),
  'flapping-upstream': () => import('./faults/flapping-upstream.ts'),
  'guard-store': () => import('./faults/guard-store.ts'),
};

// Scenario names first, then options for them (e.g. `kill-ingest --documents 50`).
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const asked = firstOption === -1 ? args : args.slice(0, firstOption);
const unknown = asked.filter((name) => !(name in scenarios));
if (unknown.length > 0) {
  console.error(
    `unknown scenario ${unknown.join(', ')}; usage: npm run bench -- faults [${Object.keys(scenarios).join('|')}]`,
  );
  process.exit(1);
}

// Rows of many figures read better as columns (one per database or phase).
const wide = (rows: Record<string, unknown>[]) => rows.some((r) => Object.keys(r).length > 8);
function transpose(rows: Record<string, unknown>[]) {
  const table: Record<string, Record<string, unknown>> = {};
  for (const row of rows) {
    const [label, ...figures] = Object.entries(row);
    for (const [key, value] of figures) {
      table[key] = { ...table[key], [String(label?.[1])]: value };
    }
  }
  return table;
}

let defects = 0;
for (const name of asked.length > 0 ? asked : Object.keys(scenarios)) {
  const { run } = await scenarios[name]!();
  const result = await run();
  console.log(JSON.stringify(result, null, 2));
  console.table(wide(result.rows) ? transpose(result.rows) : result.rows);
  if (result.defects.length > 0)
    console.log(`${name}: ${result.defects.length} defect(s):\n- ${result.defects.join('\n- ')}`);
  else console.log(`${name}: no defect found`);
  defects += result.defects.length;
}
process.exit(defects > 0 ? 1 : 0);
