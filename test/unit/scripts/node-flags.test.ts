import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeFlags } from '../../../scripts/node-flags.ts';

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

  it('prints the options space-separated when run as a script (for package.json and the image)', () => {
    const out = execFileSync(process.execPath, ['scripts/node-flags.ts'], { encoding: 'utf8' });
    expect(out.trim()).toBe(nodeFlags().join(' '));
  });
});
