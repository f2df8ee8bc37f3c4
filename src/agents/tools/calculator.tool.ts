import jsep from 'jsep';
import { z } from 'zod';
import { defineTool } from './tool.ts';
import { ToolError } from './tool-error.ts';

/*
 * Arithmetic on jsep's syntax tree (docs/decisions/0007-calculator-expression-library.md). jsep
 * only parses; nothing here evaluates JavaScript. The evaluator below knows number literals, the
 * constants and functions named in its own tables (Maps, so no name reaches a prototype), and a
 * handful of operators; every other node (member access, `this`, strings, calls on anything but a
 * listed name, assignments, which jsep does not even parse) is refused.
 */

const MAX_LENGTH = 500;
// Parentheses nested deeper than this are refused before parsing: jsep and the evaluator recurse.
const MAX_NESTING = 64;
const MAX_MAGNITUDE = 1e308;

// jsep's operator tables are process-wide; this module is its only user in cairn (decision 0007).
// `^` is exponentiation here, not XOR, and `**` is not offered (one spelling).
jsep.removeBinaryOp('^');
jsep.removeBinaryOp('**');
// Number literals go through the hooks too, so `2^3` sees the hook below.
jsep.hooks.add('gobble-token', function (env) {
  const code = this.code;
  if ((code >= 48 && code <= 57) || code === 46) env.node = this.gobbleNumericLiteral();
});
// `^` binds to the token on its left, tighter than unary minus (-2^2 = -(2^2)), and to the
// right (2^3^2 = 2^(3^2)); its exponent may carry its own sign (2^-1).
jsep.hooks.add('after-token', function (env) {
  if (!env.node) return;
  this.gobbleSpaces();
  if (this.code !== 94) return;
  this.index++;
  const exponent = this.gobbleToken();
  if (!exponent) this.throwError('Expected an exponent after ^');
  env.node = { type: 'BinaryExpression', operator: '^', left: env.node, right: exponent };
});

const CONSTANTS = new Map<string, number>([
  ['pi', Math.PI],
  ['e', Math.E],
]);

type MathFunction = (...args: number[]) => number;

// [function, fewest arguments, most arguments]
const FUNCTIONS = new Map<string, readonly [MathFunction, number, number]>([
  ['sqrt', [Math.sqrt, 1, 1]],
  ['cbrt', [Math.cbrt, 1, 1]],
  ['abs', [Math.abs, 1, 1]],
  ['round', [Math.round, 1, 1]],
  ['floor', [Math.floor, 1, 1]],
  ['ceil', [Math.ceil, 1, 1]],
  ['trunc', [Math.trunc, 1, 1]],
  ['sign', [Math.sign, 1, 1]],
  ['min', [Math.min, 1, 100]],
  ['max', [Math.max, 1, 100]],
  ['log', [(x, base) => (base === undefined ? Math.log(x) : Math.log(x) / Math.log(base)), 1, 2]],
  ['log10', [Math.log10, 1, 1]],
  ['log2', [Math.log2, 1, 1]],
  ['exp', [Math.exp, 1, 1]],
  ['pow', [Math.pow, 2, 2]],
  ['sin', [Math.sin, 1, 1]],
  ['cos', [Math.cos, 1, 1]],
  ['tan', [Math.tan, 1, 1]],
  ['asin', [Math.asin, 1, 1]],
  ['acos', [Math.acos, 1, 1]],
  ['atan', [Math.atan, 1, 1]],
  ['atan2', [Math.atan2, 2, 2]],
]);

const BINARY = new Map<string, (a: number, b: number) => number>([
  ['+', (a, b) => a + b],
  ['-', (a, b) => a - b],
  ['*', (a, b) => a * b],
  ['/', (a, b) => a / b],
  ['%', (a, b) => a % b],
  ['^', (a, b) => a ** b],
]);

const UNARY = new Map<string, (a: number) => number>([
  ['-', (a) => -a],
  ['+', (a) => a],
]);

/** Evaluates an arithmetic expression; throws ToolError for anything else. */
function calculate(expression: string): number {
  if (expression.length > MAX_LENGTH) {
    throw new ToolError('too_large', `the expression is longer than ${MAX_LENGTH} characters`);
  }
  let depth = 0;
  for (const char of expression) {
    if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
    if (depth > MAX_NESTING) {
      throw new ToolError('too_large', `parentheses are nested deeper than ${MAX_NESTING} levels`);
    }
  }
  let tree: jsep.Expression;
  try {
    tree = jsep(expression);
  } catch (error) {
    throw new ToolError('invalid_arguments', `not a valid expression: ${(error as Error).message}`);
  }
  const result = evaluate(tree);
  if (Math.abs(result) > MAX_MAGNITUDE) {
    throw new ToolError('failed', `the result's magnitude is over ${MAX_MAGNITUDE}`);
  }
  // -0 reads as 0 to everyone but IEEE 754.
  return result === 0 ? 0 : result;
}

function evaluate(node: jsep.Expression): number {
  const value = evaluateNode(node);
  if (!Number.isFinite(value)) {
    throw new ToolError(
      'failed',
      'the result is not a finite real number (division by zero, overflow or out of domain)',
    );
  }
  return value;
}

function evaluateNode(node: jsep.Expression): number {
  switch (node.type) {
    case 'Literal': {
      const { value } = node as jsep.Literal;
      if (typeof value !== 'number')
        throw new ToolError('not_allowed', 'only numbers are allowed, not strings or booleans');
      return value;
    }
    case 'Identifier': {
      const { name } = node as jsep.Identifier;
      const constant = CONSTANTS.get(name);
      if (constant === undefined)
        throw new ToolError('not_allowed', `unknown name "${clip(name)}" (constants: pi, e)`);
      return constant;
    }
    case 'UnaryExpression': {
      const { operator, argument } = node as jsep.UnaryExpression;
      const apply = UNARY.get(operator);
      if (!apply) throw new ToolError('not_allowed', `operator ${operator} is not supported`);
      return apply(evaluate(argument));
    }
    case 'BinaryExpression': {
      const { operator, left, right } = node as jsep.BinaryExpression;
      const apply = BINARY.get(operator);
      if (!apply) throw new ToolError('not_allowed', `operator ${operator} is not supported`);
      return apply(evaluate(left), evaluate(right));
    }
    case 'CallExpression': {
      const { callee, arguments: args } = node as jsep.CallExpression;
      const name = callee.type === 'Identifier' ? (callee as jsep.Identifier).name : undefined;
      const entry = name === undefined ? undefined : FUNCTIONS.get(name);
      if (!entry) {
        const which = name === undefined ? '' : ` "${clip(name)}"`;
        throw new ToolError(
          'not_allowed',
          `unknown function${which} (functions: ${[...FUNCTIONS.keys()].join(', ')})`,
        );
      }
      const [fn, fewest, most] = entry;
      if (args.length < fewest || args.length > most) {
        const expected = fewest === most ? `${fewest}` : `${fewest} to ${most}`;
        throw new ToolError('invalid_arguments', `${name} takes ${expected} argument(s), got ${args.length}`);
      }
      return fn(...args.map(evaluate));
    }
    case 'Compound':
      throw new ToolError('invalid_arguments', 'write exactly one expression');
    case 'MemberExpression':
      throw new ToolError('not_allowed', 'property access is not allowed');
    default:
      throw new ToolError(
        'not_allowed',
        `${node.type} is not allowed: only numbers, pi, e, + - * / % ^ and functions`,
      );
  }
}

const clip = (name: string) => (name.length > 40 ? `${name.slice(0, 40)}…` : name);

export const calculatorTool = defineTool({
  name: 'calculator',
  description:
    'Evaluate an arithmetic expression: numbers, + - * / % (remainder) ^ (power, right-associative, -2^2 = -4), parentheses, constants pi and e, and sqrt, cbrt, abs, round, floor, ceil, trunc, sign, min, max, log (natural, or log(x, base)), log10, log2, exp, pow, sin, cos, tan, asin, acos, atan, atan2 (radians).',
  input: z.strictObject({
    expression: z.string().min(1).max(MAX_LENGTH).describe('The expression, e.g. "(2 + 3) * sqrt(16) / 2^3"'),
  }),
  output: z.object({ expression: z.string(), result: z.number() }),
  timeoutMs: 1000,
  sideEffects: false,
  role: 'user',
  async execute({ expression }) {
    return { expression, result: calculate(expression) };
  },
});
