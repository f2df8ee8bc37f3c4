import { describe, expect, it } from 'vitest';
import { calculatorTool } from '../../../src/agents/tools/calculator.tool.ts';
import type { ToolContext } from '../../../src/agents/tools/tool.ts';
import { ToolError } from '../../../src/agents/tools/tool-error.ts';

// The calculator uses nothing from its context.
const context = {
  deps: {},
  userId: 'calculator-user',
  role: 'user',
  signal: AbortSignal.timeout(5000),
  meta: {},
} as unknown as ToolContext;

const calculate = async (expression: string) =>
  ((await calculatorTool.execute({ expression }, context)) as { result: number }).result;

async function refusal(expression: string): Promise<ToolError> {
  const error = await calculatorTool.execute({ expression }, context).then(
    (value) => {
      throw new Error(`expected a refusal of ${expression.slice(0, 40)}, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ToolError);
  return error as ToolError;
}

describe('calculator tool', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['2 * 3 / 4', 1.5],
    ['10 % 3', 1],
    ['2^10', 1024],
    ['2^3^2', 512],
    ['-2^2', -4],
    ['(-2)^2', 4],
    ['2^-1', 0.5],
    ['--3', 3],
    ['+4', 4],
    ['0.5 + .25 + 1e3', 1000.75],
    ['1.5e-3 * 2', 0.003],
    ['sqrt(16) + abs(-3)', 7],
    ['round(2.5) + floor(2.7) + ceil(2.1)', 3 + 2 + 3],
    ['min(4, 2, 8) * max(1, 9)', 18],
    ['log(e) + exp(0)', 2],
    ['log(8, 2)', 3],
    ['pow(3, 4)', 81],
    ['cos(0) + tan(0)', 1],
    ['2 * pi', 2 * Math.PI],
    ['-0 * 5', 0],
  ])('%s = %d', async (expression, expected) => {
    expect(await calculate(expression)).toBeCloseTo(expected, 12);
  });

  it('answers sin(pi / 2) and echoes the expression', async () => {
    await expect(calculatorTool.execute({ expression: 'sin(pi / 2)' }, context)).resolves.toEqual({
      expression: 'sin(pi / 2)',
      result: 1,
    });
  });

  it('gives a plain 0 for negative zero (JSON has no -0)', async () => {
    expect(Object.is(await calculate('-0 * 5'), 0)).toBe(true);
  });

  it.each([
    'constructor',
    '__proto__',
    'this',
    'import',
    'evaluate("1")',
    'parse(1)',
    '"1" + 1',
    'sqrt.constructor',
    'abs.call(1)',
    'Math.PI',
    'x[0]',
    '[1, 2]',
    '(1).constructor',
    'true + 1',
    '1 ? 2 : 3',
    '1 == 1',
    '1 & 2',
    '!1',
    '~1',
  ])('refuses %s as not allowed', async (expression) => {
    expect((await refusal(expression)).code).toBe('not_allowed');
  });

  it.each(['a=1', 'f(x)=x', 'a = 1; a', '2 ** 3', '1 +', '(1', '2pi', '1 2', 'sqrt()', 'pow(2)'])(
    'refuses %s as invalid',
    async (expression) => {
      expect((await refusal(expression)).code).toBe('invalid_arguments');
    },
  );

  it.each(['10^400', '9^9^9', '1.5e308', '-1e308 * 2', '1/0', '0/0', 'sqrt(-1)', 'log(-1)', '1e400 - 1e400'])(
    'refuses %s: no finite result within 1e308',
    async (expression) => {
      expect((await refusal(expression)).code).toBe('failed');
    },
  );

  it('accepts 1e308 itself', async () => {
    expect(await calculate('1e308')).toBe(1e308);
  });

  it('refuses 10k nested parentheses without touching the stack', async () => {
    const nested = `${'('.repeat(10_000)}1${')'.repeat(10_000)}`;
    expect((await refusal(nested)).code).toBe('too_large');
    expect(calculatorTool.input.safeParse({ expression: nested }).success).toBe(false);
  });

  it('limits nesting to 64 levels within the length limit', async () => {
    const nest = (levels: number) => `${'('.repeat(levels)}1${')'.repeat(levels)}`;
    expect(await calculate(nest(64))).toBe(1);
    const error = await refusal(nest(65));
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(/nested/);
    expect((await refusal(`${'sqrt('.repeat(65)}1${')'.repeat(65)}`)).code).toBe('too_large');
  });

  it('survives long chains the length limit still allows', async () => {
    expect(await calculate(`${'-'.repeat(499)}1`)).toBe(-1);
    expect(await calculate(`${'1+'.repeat(249)}1`)).toBe(250);
    expect((await refusal(`${'2^'.repeat(249)}2`)).code).toBe('failed');
  });

  it('refuses 501 characters in the schema and in execute', async () => {
    const long = `1${'+1'.repeat(250)}`;
    expect(long).toHaveLength(501);
    expect(calculatorTool.input.safeParse({ expression: long }).success).toBe(false);
    expect((await refusal(long)).code).toBe('too_large');
    expect(calculatorTool.input.safeParse({ expression: long.slice(0, 499) }).success).toBe(true);
    expect(await calculate(long.slice(0, 499))).toBe(250);
  });

  it('validates its input schema strictly', () => {
    expect(calculatorTool.input.safeParse({ expression: '1+1' }).success).toBe(true);
    expect(calculatorTool.input.safeParse({ expression: '' }).success).toBe(false);
    expect(calculatorTool.input.safeParse({ expression: 1 }).success).toBe(false);
    expect(calculatorTool.input.safeParse({}).success).toBe(false);
    expect(calculatorTool.input.safeParse({ expression: '1', scope: { a: 1 } }).success).toBe(false);
  });

  it('never reaches a prototype through a name', async () => {
    for (const name of ['toString', 'valueOf', 'hasOwnProperty', 'prototype', '__defineGetter__']) {
      expect((await refusal(name)).code).toBe('not_allowed');
      expect((await refusal(`${name}(1)`)).code).toBe('not_allowed');
    }
  });
});
