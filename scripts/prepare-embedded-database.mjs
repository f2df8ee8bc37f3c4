// npm's postinstall: builds the embedded database's template (src/node/pglite-template.ts), so
// that `npm start` on a new data folder copies it instead of running initdb. Plain JavaScript,
// and it never fails the install: without it the first new folder builds the template instead.

import { fileURLToPath } from 'node:url';
import { stripsTypes } from './check-node.mjs';

if (stripsTypes()) {
  try {
    const { ensureTemplate } = await import('../src/node/pglite-template.ts');
    const migrations = fileURLToPath(new URL('../drizzle', import.meta.url));
    console.log(`cairn: embedded database template in ${await ensureTemplate(migrations)}`);
  } catch (error) {
    console.warn(
      `cairn: no embedded database template (${error?.message ?? error}); the first new data folder builds it`,
    );
  }
}
