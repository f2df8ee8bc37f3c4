import { Validator } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../../src/llm/llm-client.ts';
import { LlmError } from '../../../src/llm/llm-error.ts';
import { DEFAULT_SCHEMA_BOUNDS, valueForSchema } from '../../../src/llm/local/schema-values.ts';
import { analyseText } from '../../../src/llm/local/text-analysis.ts';
import { minimalSizes } from '../../../src/llm/schema-demand.ts';
import { expectLinearGrowth } from '../../helpers/responsiveness.ts';

const text =
  'Acme Corp released a great update in London. CEO Jane Smith said customers love it. Mail ops@acme.example.';
const source = { analysis: analyseText(text) };
const fill = (schema: JsonSchema, bounds = DEFAULT_SCHEMA_BOUNDS) => valueForSchema(schema, source, bounds);
const bytes = (value: unknown) => JSON.stringify(value).length;
const valid = (schema: JsonSchema, value: unknown) =>
  new Validator(schema, '2020-12', false).validate(value).errors;

// The local provider enforces its bounds itself, whatever schema reaches it (the gateway refuses
// these first; this is the second line).
describe('the local schema filler stays within its bounds', () => {
  it('caps arrays a schema wants a hundred million items in (six of them: a heap OOM before)', () => {
    const arrays = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [
        `a${i}`,
        { type: 'array', items: { type: 'string' }, minItems: 1e8 },
      ]),
    );
    const value = fill({ type: 'object', properties: arrays, required: Object.keys(arrays) });
    expect(bytes(value)).toBeLessThanOrEqual(DEFAULT_SCHEMA_BOUNDS.maxOutputBytes);
    for (const list of Object.values(value as Record<string, unknown[]>)) {
      expect(list.length).toBeLessThanOrEqual(DEFAULT_SCHEMA_BOUNDS.maxItems);
    }
  });

  it('caps a string a schema wants 20 000+ characters long, and pads in linear time', async () => {
    const value = fill({ type: 'object', properties: { s: { type: 'string', minLength: 1e9 } } });
    expect((value as { s: string }).s).toHaveLength(DEFAULT_SCHEMA_BOUNDS.maxStringLength);
    const wide = { ...DEFAULT_SCHEMA_BOUNDS, maxStringLength: 1e6, maxOutputBytes: 1e7 };
    await expectLinearGrowth(
      (n) => fill({ type: 'object', properties: { s: { type: 'string', minLength: n } } }, wide),
      20_000,
    );
  });

  it('writes one level of a recursive schema, not 3^12 nodes (40 MB before)', () => {
    const schema = {
      type: 'object',
      properties: { a: { $ref: '#' }, b: { $ref: '#' }, c: { $ref: '#' } },
    };
    const value = fill(schema);
    expect(bytes(value)).toBeLessThan(1000);
    expect(valid(schema, value)).toEqual([]);
    const tree = {
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
      required: ['name', 'children'],
    };
    expect(valid(tree, fill(tree))).toEqual([]);
  });

  it('stops entity lists nested inside entity lists (20^6 objects before)', () => {
    let schema: JsonSchema = { type: 'object', properties: { name: { type: 'string' } } };
    for (let i = 0; i < 7; i++)
      schema = { type: 'object', properties: { people: { type: 'array', items: schema } } };
    const many = analyseText(Array.from({ length: 30 }, (_, i) => `Person${i} Name${i} met.`).join(' '));
    const value = valueForSchema(schema, { analysis: many });
    expect(bytes(value)).toBeLessThanOrEqual(DEFAULT_SCHEMA_BOUNDS.maxOutputBytes);
    expect(valid(schema, value)).toEqual([]);
  });

  it('falls back to the smallest valid value when the full one would not fit', () => {
    const long = analyseText(`search ${'word '.repeat(20_000)}`);
    const schema = {
      type: 'object',
      properties: {
        queries: {
          type: 'array',
          minItems: 100,
          items: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
        },
        note: { type: 'string' },
      },
      required: ['queries'],
    };
    const value = valueForSchema(schema, { analysis: long });
    expect(bytes(value)).toBeLessThanOrEqual(DEFAULT_SCHEMA_BOUNDS.maxOutputBytes);
    expect(valid(schema, value)).toEqual([]);
  });

  it('follows a required recursion to its way out', () => {
    const list = {
      type: 'object',
      properties: { value: { type: 'integer' }, next: { anyOf: [{ $ref: '#' }, { type: 'null' }] } },
      required: ['value', 'next'],
    };
    expect(valid(list, fill(list))).toEqual([]);
  });

  it.each([
    [
      'a required property that is its own schema',
      { type: 'object', properties: { a: { $ref: '#' } }, required: ['a'] },
    ],
    [
      'a reference cycle',
      { $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' },
    ],
    ['allOf itself', { allOf: [{ $ref: '#' }] }],
  ])('rejects %s (no finite value) without overflowing the stack', (_, schema) => {
    expect(() => fill(schema as JsonSchema)).toThrow(LlmError);
  });
});

describe('the smallest value a schema demands', () => {
  const demand = (schema: unknown) => minimalSizes(schema)(schema);

  it('counts required content only, multiplied through arrays', () => {
    expect(demand({ type: 'object', properties: { a: { type: 'string', minLength: 10 } } })).toBe(2);
    expect(
      demand({ type: 'object', properties: { a: { type: 'string', minLength: 10 } }, required: ['a'] }),
    ).toBe(2 + 1 + 4 + 12);
    const grid = {
      type: 'array',
      minItems: 1000,
      items: {
        type: 'array',
        minItems: 1000,
        items: { type: 'array', minItems: 1000, items: { type: 'null' } },
      },
    };
    expect(demand(grid)).toBeGreaterThan(1e9);
    expect(demand({ enum: ['a long option', 1] })).toBe(1);
    expect(demand({ type: ['array', 'null'], minItems: 1e9 })).toBe(4);
  });

  it('is infinite for a recursion without a way out, finite with one', () => {
    expect(demand({ type: 'object', properties: { a: { $ref: '#' } }, required: ['a'] })).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(
      demand({
        type: 'object',
        properties: { a: { anyOf: [{ $ref: '#' }, { type: 'null' }] } },
        required: ['a'],
      }),
    ).toBe(2 + 1 + 4 + 4);
  });

  it('settles long chains of references in either direction', () => {
    for (const forward of [true, false]) {
      const $defs: Record<string, unknown> = { d0: { type: 'string', minLength: 5 } };
      for (let i = 1; i <= 500; i++) $defs[`d${i}`] = { $ref: `#/$defs/d${i - 1}` };
      const ordered = forward ? $defs : Object.fromEntries(Object.entries($defs).reverse());
      const schema = {
        type: 'object',
        properties: { x: { $ref: '#/$defs/d500' } },
        required: ['x'],
        $defs: ordered,
      };
      expect(demand(schema)).toBe(2 + 1 + 4 + 7);
    }
  });

  it('grows linearly with the schema', async () => {
    const wide = (n: number) => ({
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'string' }])),
      required: Array.from({ length: n }, (_, i) => `p${i}`),
    });
    await expectLinearGrowth((n) => demand(wide(n)), 5000);
    const chain = (n: number) => {
      const $defs: Record<string, unknown> = { d0: { type: 'string' } };
      for (let i = 1; i < n; i++)
        $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i - 1}` }, { type: 'null' }] };
      return { $ref: `#/$defs/d${n - 1}`, $defs };
    };
    await expectLinearGrowth((n) => demand(chain(n)), 2000);
  });
});
