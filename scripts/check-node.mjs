// Runs first in every npm script that runs TypeScript on Node, `npm test` included (see package.json).
// Plain JavaScript on purpose: it must run, and explain itself, on a Node too old for the
// sources, where `node src/node/main.ts` dies with ERR_UNKNOWN_FILE_EXTENSION instead.
// Node strips TypeScript types by default from 22.18.0 (and 23.6.0); package.json's
// `engines` says the same, but npm does not enforce it (engine-strict is off by default).

import { pathToFileURL } from 'node:url';

/** Whether this Node runs the TypeScript sources as they are (it strips their types). */
export function stripsTypes(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

const found = process.versions.node;
// Run as a script (npm's), not imported for stripsTypes.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && !stripsTypes(found)) {
  console.error(
    `cairn needs Node 22.18.0 or newer; this is Node ${found} (${process.execPath}). ` +
      'Run `source scripts/ensure-node.sh` (it installs Node 22 into ~/.cache/cairn), then try again.',
  );
  process.exit(1);
}
