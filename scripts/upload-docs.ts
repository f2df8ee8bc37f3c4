// Uploads every .html/.md/.txt file of a directory to a running cairn, then shows ingestion
// progress until every document is ready (or failed).
//
//   npm run token -- --sub alice   # or the admin token the embedded default prints
//   node scripts/upload-docs.ts --url http://localhost:8787 --token "$CAIRN_TOKEN" \
//     "$(bash scripts/install-pg-docs.sh | tail -n1)"
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'http://localhost:8787' },
    token: { type: 'string', default: process.env.CAIRN_TOKEN },
    concurrency: { type: 'string', default: '4' },
  },
});
const [dir] = positionals;
if (!dir || !values.token) {
  console.error(
    'usage: node scripts/upload-docs.ts --url URL --token TOKEN <directory>  (or set CAIRN_TOKEN)',
  );
  process.exit(2);
}
const headers = { authorization: `Bearer ${values.token}` };
const files = (await readdir(dir)).filter((f) => /\.(html?|md|markdown|txt)$/i.test(f)).sort();
const started = performance.now();
const ids = new Set<string>();
let next = 0;
let failed = 0;

async function upload() {
  while (next < files.length) {
    const name = files[next++]!;
    const form = new FormData();
    form.set('file', new File([await readFile(path.join(dir!, name))], name));
    const res = await fetch(`${values.url}/documents`, { method: 'POST', headers, body: form });
    const body = (await res.json()) as { document_id?: string; detail?: string };
    if (res.ok && body.document_id) ids.add(body.document_id);
    else {
      failed++;
      console.error(`${name}: ${res.status} ${body.detail ?? ''}`);
    }
  }
}
await Promise.all(Array.from({ length: Number(values.concurrency) }, upload));
console.log(`uploaded ${ids.size} of ${files.length} files in ${Math.round(performance.now() - started)} ms`);

// Progress: count the caller's documents by status until none is queued or processing.
async function countByStatus() {
  const counts: Record<string, number> = {};
  for (const status of ['queued', 'processing', 'ready', 'failed']) {
    let cursor: string | null = null;
    let n = 0;
    do {
      const query = new URLSearchParams({ status, limit: '100', ...(cursor ? { cursor } : {}) });
      const page = (await (await fetch(`${values.url}/documents?${query}`, { headers })).json()) as {
        items: unknown[];
        next_cursor: string | null;
      };
      n += page.items.length;
      cursor = page.next_cursor;
    } while (cursor);
    counts[status] = n;
  }
  return counts;
}
for (;;) {
  const counts = await countByStatus();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${seconds}s ${JSON.stringify(counts)}`);
  if ((counts.queued ?? 0) + (counts.processing ?? 0) === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 2000));
}
process.exit(failed > 0 ? 1 : 0);
