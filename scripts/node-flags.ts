// The Node options cairn's server runs with, wherever it is started: `npm start` and `npm run dev`
// (package.json prints them with `node scripts/node-flags.ts`), the image's command, the test
// runner and the benchmarks.
//
// AsyncLocalStorage (the request's trace context and scope) over async context frames: Node 24
// made them the default; on Node 22 and 23 they take a flag, which Node 24 no longer accepts.
// Without them every promise of every request runs through async_hooks' promise hooks
// (docs/decisions/0010-gateway-hot-path.md).

import { pathToFileURL } from 'node:url';

/** The options for Node `version` (this one by default). */
export function nodeFlags(version = process.versions.node): string[] {
  const major = Number(version.split('.')[0]);
  return major < 24 ? ['--experimental-async-context-frame'] : [];
}

// Run as a script (by package.json or the image's command), not imported.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(nodeFlags().join(' '));
