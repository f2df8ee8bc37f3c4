import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const cacheModule = pathToFileURL(path.join(root, 'src/node/package-scope-cache.ts')).href;

interface Run {
  /** Every resolution: specifier, importing file, resolved URL, format. */
  resolved: [string, string, string, string][];
  /** What the imported modules evaluated to, or the error's code. */
  outcome: unknown;
}

/**
 * Imports `entries` in a fresh Node, with or without the cache, and records every resolution the
 * loader made (the recording hook is registered last, so it sees the cache's answers).
 */
function importIn(entries: string[], withCache: boolean): Run {
  const script = `
    import { registerHooks } from 'node:module';
    ${withCache ? `const { cachePackageScopes } = await import(${JSON.stringify(cacheModule)}); cachePackageScopes();` : ''}
    const resolved = [];
    registerHooks({ resolve(specifier, context, next) {
      const result = next(specifier, context);
      resolved.push([specifier, context.parentURL ?? '', result.url, result.format ?? '']);
      return result;
    } });
    const outcome = [];
    for (const entry of ${JSON.stringify(entries)}) {
      try {
        const namespace = await import(entry);
        outcome.push(Object.keys(namespace).sort().slice(0, 50), namespace.default ?? null);
      } catch (error) {
        outcome.push(error.code ?? String(error));
      }
    }
    process.stdout.write(JSON.stringify({ resolved, outcome }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Run;
}

describe('cachePackageScopes', () => {
  let folder: string;
  let fixture: (file: string) => string;

  beforeAll(async () => {
    // An installed package with every kind of file a relative import can reach.
    folder = await mkdtemp(path.join(tmpdir(), 'cairn-scopes-'));
    const pkg = path.join(folder, 'node_modules/fixture-pkg');
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'fixture-pkg', type: 'module', exports: { '.': './index.js' } }),
      'index.js': `export { esm } from './lib/esm.js'; export { plain } from './lib/plain.mjs';
        import cjs from './cjs/old.js'; import extra from './cjs/extra.cjs'; import data from './data.json' with { type: 'json' };
        export const fromCjs = cjs.name, fromCjsExt = extra.name, json = data.n;`,
      'lib/esm.js': `export { deep as esm } from '../lib/deeper/deep.js';`,
      'lib/deeper/deep.js': `export const deep = 'deep';`,
      'lib/plain.mjs': `export const plain = 'plain';`,
      // A nested package.json makes this folder CommonJS.
      'cjs/package.json': JSON.stringify({ type: 'commonjs' }),
      'cjs/old.js': `module.exports = { name: 'old' };`,
      'cjs/extra.cjs': `module.exports = { name: 'extra' };`,
      'data.json': JSON.stringify({ n: 7 }),
      'broken.js': `import './missing.js';`,
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(pkg, file)), { recursive: true });
      await writeFile(path.join(pkg, file), text);
    }
    // Folders in node_modules that declare no type (no package.json, or one without "type"): Node
    // tells each .js file's format from its syntax, whatever the project above declares.
    await writeFile(path.join(folder, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    const loose = path.join(folder, 'node_modules/loose');
    await mkdir(path.join(loose, 'typeless'), { recursive: true });
    await writeFile(path.join(loose, 'a.js'), `module.exports = require('./b.js');`);
    await writeFile(path.join(loose, 'b.js'), `module.exports = 'loose';`);
    await writeFile(path.join(loose, 'esm.js'), `export default 'esm';`);
    await writeFile(path.join(loose, 'typeless/package.json'), JSON.stringify({ name: 'typeless' }));
    await writeFile(path.join(loose, 'typeless/esm.js'), `export default 'typeless esm';`);
    await writeFile(
      path.join(pkg, 'uses-loose.js'),
      `export { default as cjs } from '../loose/a.js'; export { default as esm } from '../loose/esm.js';
       export { default as typeless } from '../loose/typeless/esm.js';`,
    );
    fixture = (file: string) => pathToFileURL(path.join(pkg, file)).href;
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("resolves a package's relative imports to the same URLs and formats as Node, and they evaluate alike", () => {
    const entries = [fixture('index.js')];
    const node = importIn(entries, false);
    const cached = importIn(entries, true);
    expect(cached).toEqual(node);
    expect(node.outcome).toEqual([['esm', 'fromCjs', 'fromCjsExt', 'json', 'plain'], null]);
    const formats = Object.fromEntries(node.resolved.map(([specifier, , , format]) => [specifier, format]));
    expect(formats).toMatchObject({
      './cjs/old.js': 'commonjs',
      './cjs/extra.cjs': 'commonjs',
      './lib/plain.mjs': 'module',
    });
  });

  it('leaves files in folders that declare no type to Node, which tells them apart by their syntax', () => {
    const node = importIn([fixture('uses-loose.js')], false);
    expect(node.outcome).toEqual([['cjs', 'esm', 'typeless'], null]);
    expect(importIn([fixture('uses-loose.js')], true)).toEqual(node);
  });

  it('leaves a missing file to Node, which reports it as it always does', () => {
    const node = importIn([fixture('broken.js')], false);
    const cached = importIn([fixture('broken.js')], true);
    expect(node.outcome).toEqual(['ERR_MODULE_NOT_FOUND']);
    expect(cached.outcome).toEqual(node.outcome);
  });

  it("resolves the server's whole module graph exactly as Node does", () => {
    const entries = [pathToFileURL(path.join(root, 'src/node/server.ts')).href];
    const node = importIn(entries, false);
    const cached = importIn(entries, true);
    expect(node.resolved.length).toBeGreaterThan(1000);
    expect(node.resolved.some(([, parent]) => parent.includes('/node_modules/drizzle-orm/'))).toBe(true);
    expect(cached).toEqual(node);
  });
});
