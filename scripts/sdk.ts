// `npm run sdk` regenerates the SDK's types (sdk/src/generated/schema.ts) from docs/openapi.json with
// openapi-typescript; `--check` fails when the committed file is stale, then type-checks the SDK
// with its own TypeScript 5 (the peer openapi-typescript needs; the root project is on TypeScript 7).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const sdk = path.join(root, 'sdk');
const target = 'sdk/src/generated/schema.ts';

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { cwd: root, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return result.stdout;
}

// The SDK is its own package with its own lockfile: install it when it is missing.
if (!existsSync(path.join(sdk, 'node_modules/openapi-typescript/package.json'))) {
  console.log('installing the SDK packages (npm ci --prefix sdk)');
  run('npm', ['ci', '--prefix', 'sdk', '--no-audit', '--no-fund']);
}

const generated = run(process.execPath, [
  path.join(sdk, 'node_modules/openapi-typescript/bin/cli.js'),
  'docs/openapi.json',
  // A field with a default is optional in a request; left true, every such field would be required.
  '--default-non-nullable=false',
]);
// Formatted as `biome check` expects, so the generated file never fails lint.
const formatted = run(
  path.join(root, 'node_modules/.bin/biome'),
  ['format', `--stdin-file-path=${target}`],
  generated,
);

if (process.argv.includes('--check')) {
  const committed = await readFile(path.join(root, target), 'utf8').catch(() => '');
  if (committed !== formatted) {
    console.error(`${target} is stale: run \`npm run sdk\` and commit the result.`);
    process.exit(1);
  }
  run(process.execPath, [path.join(sdk, 'node_modules/typescript/bin/tsc'), '-p', 'sdk/tsconfig.json']);
  console.log(`${target} is up to date and the SDK type-checks.`);
} else {
  await writeFile(path.join(root, target), formatted);
  console.log(`wrote ${target}`);
}
