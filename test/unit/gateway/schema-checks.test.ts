import { describe, expect, it } from 'vitest';
import { jsonSchemaValidator } from '../../../src/gateway/analyze/result-validator.ts';
import { compilePattern } from '../../../src/gateway/patterns.ts';
import { type SchemaLimits, schemaProblems } from '../../../src/gateway/schema-limits.ts';
import { expectLinearGrowth } from '../../helpers/responsiveness.ts';

const limits: SchemaLimits = {
  maxBytes: 16_384,
  maxDepth: 16,
  maxItems: 1000,
  maxStringLength: 10_000,
  maxOutputBytes: 262_144,
};
const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  ...extra,
});
const pointers = (schema: Record<string, unknown>, l: SchemaLimits = limits) =>
  schemaProblems(schema, l).map((p) => p.pointer);

/** A JSON text nested `depth` levels, parsed (JSON.parse does not recurse; JSON.stringify would). */
const nested = (depth: number) =>
  JSON.parse(`{"type":"object","x":${'['.repeat(depth)}${']'.repeat(depth)}}`) as Record<string, unknown>;

describe('caller schema checks', () => {
  it('refuse thousands of nesting levels with a problem, before any recursive walk', async () => {
    for (const depth of [17, 5000, 200_000]) {
      expect(schemaProblems(nested(depth), limits)).toEqual([
        { pointer: '/body/schema', detail: 'must nest at most 16 levels deep' },
      ]);
    }
    await expectLinearGrowth((n) => schemaProblems(nested(n), limits), 50_000);
  });

  it('refuse demands beyond what cairn writes, each at its keyword', () => {
    const arrays = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`a${i}`, { type: 'array', minItems: 100_000_000 }]),
    );
    expect(pointers(object(arrays))).toEqual(
      Object.keys(arrays).map((k) => `/body/schema/properties/${k}/minItems`),
    );
    expect(pointers(object({ s: { type: 'string', minLength: 20_000 } }))).toEqual([
      '/body/schema/properties/s/minLength',
    ]);
    expect(pointers(object({}, { minProperties: 5000 }))).toEqual(['/body/schema/minProperties']);
    expect(pointers(object({ a: { type: 'array', contains: {}, minContains: 5000 } }))).toEqual([
      '/body/schema/properties/a/minContains',
    ]);
  });

  it('refuse a smallest valid value larger than SCHEMA_MAX_OUTPUT_BYTES, however it multiplies', () => {
    const cube = {
      type: 'array',
      minItems: 1000,
      items: {
        type: 'array',
        minItems: 1000,
        items: { type: 'array', minItems: 1000, items: { type: 'string' } },
      },
    };
    const [problem] = schemaProblems(object({ cube }, { required: ['cube'] }), limits);
    expect(problem?.pointer).toBe('/body/schema');
    expect(problem?.detail).toMatch(/demands at least \d+ bytes/);
    // Optional content demands nothing.
    expect(schemaProblems(object({ cube }), limits)).toEqual([]);
  });

  it('refuse a required recursion without a way out, accept one with', () => {
    expect(schemaProblems(object({ a: { $ref: '#' } }, { required: ['a'] }), limits)[0]?.detail).toMatch(
      /no finite valid value/,
    );
    expect(schemaProblems(object({ a: { $ref: '#' }, b: { $ref: '#' }, c: { $ref: '#' } }), limits)).toEqual(
      [],
    );
    expect(
      schemaProblems(
        object({ a: { anyOf: [{ $ref: '#' }, { type: 'null' }] } }, { required: ['a'] }),
        limits,
      ),
    ).toEqual([]);
  });

  it('refuse references that are not JSON pointers to a schema, without throwing', () => {
    expect(pointers(object({ a: { $ref: '#anchor' } }))).toEqual(['/body/schema/properties/a/$ref']);
    expect(pointers(object({ a: { $ref: '#/%E0%A4%A' } }))).toEqual(['/body/schema/properties/a/$ref']);
    expect(
      pointers(object({ a: { type: 'string', pattern: 'x' }, b: { $ref: '#/properties/a/pattern' } })),
    ).toEqual(['/body/schema/properties/b/$ref']);
    expect(
      pointers(
        object({
          a: { type: 'object', patternProperties: { '^x': {} } },
          b: { $ref: '#/properties/a/patternProperties/^x' },
        }),
      ),
    ).toEqual(['/body/schema/properties/b/$ref']);
  });

  it('check the schemas of draft 7 dependencies, which the validator applies', () => {
    expect(
      pointers(object({}, { dependencies: { a: ['b'], c: { properties: { d: { pattern: '(?=x)' } } } } })),
    ).toEqual(['/body/schema/dependencies/c/properties/d/pattern']);
  });

  it('check what a reference names, even under a keyword cairn does not know', () => {
    expect(
      pointers(object({ a: { $ref: '#/x-shared' } }, { 'x-shared': { type: 'string', pattern: '(?=a)' } })),
    ).toEqual(['/body/schema/x-shared/pattern']);
  });

  it('accept the patterns that bypassed the old check (RE2 runs them in linear time)', () => {
    for (const pattern of [
      '^(a|a)*$',
      '^(?:a|a)*$',
      '^(a|a){1,100}$',
      '^\\u0041[\\u0000-\\u007f]*$',
      '^\\d{3}-\\d{4}$',
    ]) {
      expect(schemaProblems(object({ q: { type: 'string', pattern } }), limits)).toEqual([]);
    }
  });

  it('refuse, with a pointer to the pattern, what RE2 cannot compile or run cheaply', () => {
    for (const pattern of ['(?=a)b', '(a)\\1', '\\k<x>', 'a{1001}', '[\\p{L}\\p{N}]{1000}', '^(a+)+$']) {
      expect(pointers(object({ q: { type: 'string', pattern } }))).toEqual([
        '/body/schema/properties/q/pattern',
      ]);
    }
    expect(pointers(object({}, { patternProperties: { '(?<=x)y': {} } }))).toEqual([
      '/body/schema/patternProperties/(?<=x)y',
    ]);
  });

  it('refuse more pattern program than one request may compile', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`p${i}`, { type: 'string', pattern: `^[a-z]{${400 + i}}$` }]),
    );
    const problems = schemaProblems(object(properties), limits);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.detail).toMatch(/too complex together/);
  });

  it('grow linearly with the schema', async () => {
    const wide = (n: number) =>
      object(
        Object.fromEntries(
          Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'string', pattern: '^[a-z]+$' }]),
        ),
        { required: Array.from({ length: n }, (_, i) => `p${i}`) },
      );
    const big = { ...limits, maxBytes: 100_000_000, maxOutputBytes: 100_000_000 };
    await expectLinearGrowth((n) => schemaProblems(wide(n), big), 5000);
    const chain = (n: number) => {
      const $defs: Record<string, unknown> = { d0: { type: 'string' } };
      for (let i = 1; i < n; i++) $defs[`d${i}`] = { $ref: `#/$defs/d${i - 1}` };
      return object({ x: { $ref: `#/$defs/d${n - 1}` } }, { required: ['x'], $defs });
    };
    await expectLinearGrowth((n) => expect(schemaProblems(chain(n), big)).toEqual([]), 2000);
  });
});

describe('caller patterns run on RE2 only', () => {
  const evil = ['^(a|a)*$', '^(?:a|a)*$', '^(a|a){1,100}$'];

  it('never hands a caller pattern to the backtracking RegExp engine', () => {
    const seen: string[] = [];
    const original = globalThis.RegExp;
    globalThis.RegExp = new Proxy(original, {
      construct(target, args: [string | RegExp, string?]) {
        seen.push(String(args[0] instanceof original ? args[0].source : args[0]));
        return Reflect.construct(target, args);
      },
    });
    try {
      const schema = object(
        { q: { type: 'string', pattern: evil[0] }, r: { type: 'string', pattern: evil[1] } },
        { patternProperties: { [evil[2]!]: { type: 'string' } } },
      );
      const validate = jsonSchemaValidator(schema);
      expect(validate({ q: 'aaaa', r: 'aaa', aaa: 'x' })).toEqual([]);
      expect(
        validate({ q: 'aaab', r: 'aaa', aaa: 1 })
          .map((e) => e.pointer)
          .sort(),
      ).toEqual(['/result/aaa', '/result/q']);
    } finally {
      globalThis.RegExp = original;
    }
    for (const pattern of evil) expect(seen).not.toContain(pattern);
  });

  it.each(evil)("checks %s on the local model's echo in linear time", async (pattern) => {
    const validate = jsonSchemaValidator(
      object({ query: { type: 'string', pattern } }, { required: ['query'] }),
    );
    expect(validate({ query: `${'a'.repeat(28)}!` })).toEqual([
      { pointer: '/result/query', detail: 'String does not match pattern.' },
    ]);
    await expectLinearGrowth((n) => validate({ query: `${'a'.repeat(n)}!` }), 5000);
  });

  it('keeps patternProperties semantics: declared for additionalProperties, each value checked', () => {
    const validate = jsonSchemaValidator(
      object(
        { id: { type: 'string' } },
        {
          patternProperties: { '^x-': { type: 'integer' }, '^x-n': { minimum: 10 } },
          additionalProperties: false,
        },
      ),
    );
    expect(validate({ id: 'a', 'x-a': 1, 'x-n': 12 })).toEqual([]);
    expect(validate({ id: 'a', 'x-a': 'one' }).map((e) => e.pointer)).toEqual(['/result/x-a']);
    expect(validate({ id: 'a', 'x-n': 3 }).map((e) => e.pointer)).toEqual(['/result/x-n']);
    expect(validate({ id: 'a', other: 1 }).map((e) => e.pointer)).toContain('/result/other');
  });

  it('translates \\u escapes and keeps ECMAScript search semantics', () => {
    const compiled = compilePattern('\\u0041\\u{42}');
    expect(compiled.ok && compiled.regex.test('xxABxx')).toBe(true);
    const validate = jsonSchemaValidator(object({ code: { type: 'string', pattern: '^[A-Z]{2}$' } }));
    expect(validate({ code: 'GB' })).toEqual([]);
    expect(validate({ code: 'GBR' })).toHaveLength(1);
  });

  it('checks the url format without backtracking (seconds on 30 letters before)', async () => {
    const validate = jsonSchemaValidator(object({ link: { type: 'string', format: 'url' } }));
    expect(validate({ link: 'https://acme.example/path?q=1' })).toEqual([]);
    expect(validate({ link: 'not a url' })).toHaveLength(1);
    expect(validate({ link: `http://${'a'.repeat(40)}!` })).toHaveLength(0);
    await expectLinearGrowth((n) => validate({ link: `http://${'a'.repeat(n)}!` }), 500);
  });

  it('bounds the pattern work of one validation', () => {
    const validate = jsonSchemaValidator(
      object({ list: { type: 'array', items: { type: 'string', pattern: '^[a-z]{900}$' } } }),
    );
    const errors = validate({ list: Array.from({ length: 100 }, () => 'a'.repeat(5000)) });
    expect(errors.at(-1)?.detail).toMatch(/more pattern matching than one validation allows/);
  });

  it('validates replies nested too deeply for recursion as invalid, without throwing', () => {
    const validate = jsonSchemaValidator(
      object(
        { a: { $ref: '#/$defs/tree' } },
        { $defs: { tree: { type: 'array', items: { $ref: '#/$defs/tree' } } } },
      ),
    );
    const deep = JSON.parse(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect(validate(deep)[0]?.detail).toMatch(/could not be validated/);
  });

  it('ignores $id and $anchor: references resolve against the document, as the check resolved them', () => {
    const schema = object(
      { a: { $id: 'https://elsewhere.example/a', type: 'object', properties: { b: { $ref: '#/$defs/s' } } } },
      { $defs: { s: { type: 'string' } }, $id: 'not a url at all' },
    );
    expect(schemaProblems(schema, limits)).toEqual([]);
    const validate = jsonSchemaValidator(schema);
    expect(validate({ a: { b: 'x' } })).toEqual([]);
    expect(validate({ a: { b: 1 } })).toHaveLength(1);
  });
});
