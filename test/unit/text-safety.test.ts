import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findUnsafeText, safeString, textProblem, withSafeText } from '../../src/http/text-safety.ts';

describe('text safety', () => {
  it('refuses NUL and lone surrogates, accepts surrogate pairs', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('a\ud800')).toMatch(/surrogate/);
    expect(textProblem('\udc00a')).toMatch(/surrogate/);
    expect(textProblem('\udbff\udfff 🐘')).toBeUndefined();
    expect(safeString().safeParse('ok').success).toBe(true);
    expect(safeString().safeParse('n\u0000').success).toBe(false);
  });

  it('finds unsafe text anywhere in JSON, keys included, with an escaped pointer', () => {
    expect(findUnsafeText({ a: [1, { 'b/c~': 'x\u0000' }] }, '/body')).toEqual({
      pointer: '/body/a/1/b~1c~0',
      detail: 'must not contain NUL characters',
    });
    expect(findUnsafeText({ ['k\ud800']: 1 }, '')?.detail).toMatch(/^key /);
    expect(findUnsafeText({ a: ['fine', 2, null, true] }, '')).toBeUndefined();
  });

  it('walks deeply nested values without overflowing the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeText(deep, '')?.pointer).toMatch(/^(\/0){100000}$/);
  });

  it('withSafeText points zod at the unsafe string', () => {
    const result = withSafeText(z.record(z.string(), z.unknown())).safeParse({ a: { 'b/c': '\udfff' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['a', 'b/c']);
  });
});
