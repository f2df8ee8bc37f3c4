// `npm run openapi` writes the OpenAPI document to docs/openapi.json; `--check` fails when it is stale.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { APP_VERSION } from '../src/app.ts';
import { createRouter } from '../src/http/create-router.ts';
import { openApiDocument } from '../src/http/openapi.ts';
import { mountRoutes } from '../src/routes.ts';

const target = path.resolve(import.meta.dirname, '../docs/openapi.json');
const app = createRouter();
mountRoutes(app);
const document = `${JSON.stringify(openApiDocument(app, APP_VERSION), null, 2)}\n`;

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== document) {
    console.error('docs/openapi.json is stale: run `npm run openapi` and commit the result.');
    process.exit(1);
  }
  console.log('docs/openapi.json is up to date.');
} else {
  await writeFile(target, document);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
