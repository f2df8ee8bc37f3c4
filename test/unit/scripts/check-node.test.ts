import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeFlags, stripsTypes } from '../../../scripts/check-node.mjs';

describe('nodeFlags', () => {
  it('turns async context frames on where they take a flag (Node 22 and 23)', () => {
    expect(nodeFlags('22.18.0')).toEqual(['--experimental-async-context-frame']);
    expect(nodeFlags('23.6.1')).toEqual(['--experimental-async-context-frame']);
  });

  it('adds nothing from Node 24, where they are the default and the flag is refused', () => {
    expect(nodeFlags('24.0.0')).toEqual([]);
    expect(nodeFlags('26.1.0')).toEqual([]);
  });

  it('gives options this Node starts with, and its AsyncLocalStorage keeps a store across awaits', () => {
    const script = `
      const { AsyncLocalStorage } = require('node:async_hooks');
      const storage = new AsyncLocalStorage();
      storage.run('request', async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await null;
        process.stdout.write(String(storage.getStore()));
      });`;
    const out = execFileSync(process.execPath, [...nodeFlags(), '-e', script], { encoding: 'utf8' });
    expect(out).toBe('request');
  });

  it('prints the options space-separated when run with --node-flags (for package.json and the image)', () => {
    const out = execFileSync(process.execPath, ['scripts/check-node.mjs', '--node-flags'], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe(nodeFlags().join(' '));
  });

  it('prints nothing without --node-flags, as the first step of the other npm scripts', () => {
    expect(execFileSync(process.execPath, ['scripts/check-node.mjs'], { encoding: 'utf8' })).toBe('');
  });
});

describe('stripsTypes', () => {
  it('accepts the Nodes that strip types by default and no older one', () => {
    expect(stripsTypes('22.18.0')).toBe(true);
    expect(stripsTypes('23.6.0')).toBe(true);
    expect(stripsTypes('24.0.0')).toBe(true);
    expect(stripsTypes('22.17.1')).toBe(false);
    expect(stripsTypes('23.5.0')).toBe(false);
    expect(stripsTypes('20.20.2')).toBe(false);
  });

  it('stops an npm script on an older Node with the version found and the fix', () => {
    const old = `Object.defineProperty(process.versions, 'node', { value: '20.20.2' });`;
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(
        process.execPath,
        [
          '--import',
          `data:text/javascript,${encodeURIComponent(old)}`,
          'scripts/check-node.mjs',
          '--node-flags',
        ],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toMatch(/needs Node 22\.18\.0 or newer; this is Node 20\.20\.2/);
  });
});
