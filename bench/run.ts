// `npm run bench -- <name> [args]`: runs bench/<name>.ts, each benchmark printing JSON and a table.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [name, ...args] = process.argv.slice(2);
const available = (await readdir(import.meta.dirname))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));

if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(name ? 1 : 0);
}
process.argv = [process.argv[0]!, path.join(import.meta.dirname, `${name}.ts`), ...args];
await import(pathToFileURL(path.join(import.meta.dirname, `${name}.ts`)).href);
