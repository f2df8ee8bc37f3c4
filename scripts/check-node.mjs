// Runs first in every npm script that runs TypeScript on Node, `npm test` included (see package.json).
// Plain JavaScript on purpose: it must run, and explain itself, on a Node too old for the
// sources, where `node src/node/main.ts` dies with ERR_UNKNOWN_FILE_EXTENSION instead.
// Node strips TypeScript types by default from 22.18.0 (and 23.6.0); package.json's
// `engines` says the same, but npm does not enforce it (engine-strict is off by default).
//
// With `--node-flags` it also prints the Node options cairn's server runs with, wherever it is
// started: `npm start` and `npm run dev` (package.json), the image's command, the test runner and
// the benchmarks (which import nodeFlags). One process for both, because each start pays for it.
// AsyncLocalStorage (the request's trace context and scope) runs over async context frames: Node
// 24 made them the default; on Node 22 and 23 they take a flag, which Node 24 no longer accepts.
// Without them every promise of every request runs through async_hooks' promise hooks
// (docs/decisions/0010-gateway-hot-path.md).

import { pathToFileURL } from 'node:url';

/** Whether this Node runs the TypeScript sources as they are (it strips their types). */
export function stripsTypes(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

/** The options for Node `version` (this one by default). */
export function nodeFlags(version = process.versions.node) {
  const major = Number(version.split('.')[0]);
  return major < 24 ? ['--experimental-async-context-frame'] : [];
}

const found = process.versions.node;
// Run as a script (npm's), not imported.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!stripsTypes(found)) {
    console.error(
      `cairn needs Node 22.18.0 or newer; this is Node ${found} (${process.execPath}). ` +
        'Run `source scripts/ensure-node.sh` (it installs Node 22 into ~/.cache/cairn), then try again.',
    );
    process.exit(1);
  }
  if (process.argv.includes('--node-flags')) console.log(nodeFlags().join(' '));
}
