// `npm run eval -- <suite> [args]`: runs evals/<suite>/run.ts, which prints a table and writes a JSON result.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [suite, ...args] = process.argv.slice(2);
const entries = await readdir(import.meta.dirname, { withFileTypes: true });
const available = entries.filter((e) => e.isDirectory() && e.name !== 'results').map((e) => e.name);

if (!suite || !available.includes(suite)) {
  console.error(`usage: npm run eval -- <${available.join('|')}> [options]`);
  process.exit(suite ? 1 : 0);
}
const script = path.join(import.meta.dirname, suite, 'run.ts');
process.argv = [process.argv[0]!, script, ...args];
await import(pathToFileURL(script).href);
