import { format, Validator } from '@cfworker/json-schema';
import { type FieldError, pointerSegment } from '../../errors.ts';
import type { JsonSchema } from '../../llm/llm-client.ts';
import { isSchemaObject } from '../../llm/schema-demand.ts';
import { compilePattern } from '../patterns.ts';
import { analysisSchema } from './analysis-schema.ts';

/** Checks a parsed model reply; returns what is wrong with it (nothing when valid). */
export type ResultValidator = (value: unknown) => FieldError[];

const pointer = (path: (string | number)[]) => `/result${path.map((p) => `/${pointerSegment(p)}`).join('')}`;

/** The default analysis, validated by its zod schema. */
export const validateAnalysis: ResultValidator = (value) => {
  const parsed = analysisSchema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    pointer: pointer(issue.path as (string | number)[]),
    detail: issue.message,
  }));
};

// Container keywords only repeat what their children already reported.
const summaryKeywords = new Set(['properties', 'items', 'prefixItems', 'allOf', '$ref', 'additionalItems']);

// Pattern matching one validation may do, in characters times RE2 instructions (~7 ns each at
// worst): bounds the time a reply full of long strings can take against complex patterns.
const PATTERN_WORK = 30_000_000;

// Formats whose check in @cfworker/json-schema backtracks: its `url` expression takes seconds on
// "http://" and 30 letters. Replaced during validation by a parser-based check.
const safeFormats: Record<string, (text: string) => boolean> = {
  url: (text) => {
    if (text.length > 2048 || /\s/.test(text)) return false;
    try {
      const url = new URL(text);
      return ['http:', 'https:', 'ftp:'].includes(url.protocol) && url.hostname.length > 0;
    } catch {
      return false;
    }
  },
};

// Keywords whose values are data or plain strings, never schemas: copied as they are.
const dataKeywords = new Set([
  'const',
  'enum',
  'default',
  'examples',
  'required',
  'dependentRequired',
  'type',
]);
const listKeywords = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems', 'items']);
const mapKeywords = new Set(['properties', '$defs', 'definitions', 'dependentSchemas', 'dependencies']);
// Base-URI keywords: without them every "#/..." reference resolves against the document root,
// as the schema check resolved it.
const identityKeywords = new Set(['$id', 'id', '$anchor', '$dynamicAnchor', '$recursiveAnchor', '$schema']);

const TOKEN = 'x-cairn-pattern:';

/** One validation's pattern checks: RE2 runs them through formats named by a token. */
interface PatternRun {
  formats: Map<string, (text: string) => boolean>;
  workLeft: number;
  overBudget: boolean;
}

function patternFormat(pattern: string, run: PatternRun): string {
  const token = `${TOKEN}${pattern}`;
  if (!run.formats.has(token)) {
    const compiled = compilePattern(pattern);
    run.formats.set(token, (text) => {
      if (!compiled.ok) return false;
      run.workLeft -= (text.length + 1) * compiled.programSize;
      if (run.workLeft < 0) {
        run.overBudget = true;
        return false;
      }
      return compiled.regex.test(text);
    });
  }
  return token;
}

function keysMatching(pattern: string, keys: Set<string>, run: PatternRun): string[] {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) return [];
  const out: string[] = [];
  for (const key of keys) {
    run.workLeft -= (key.length + 1) * compiled.programSize;
    if (run.workLeft < 0) {
      run.overBudget = true;
      return out;
    }
    if (compiled.regex.test(key)) out.push(key);
  }
  return out;
}

/**
 * A copy of `node` that @cfworker/json-schema can run without ever compiling a caller pattern:
 * `pattern` becomes a format RE2 checks; `patternProperties` becomes `properties` for the keys of
 * this reply that match (their schemas in an `allOf`, so `additionalProperties` sees them as
 * declared). Every object reachable as a schema is rewritten, as the library treats any of them
 * as one when a reference names it.
 */
function rewrite(node: unknown, keys: Set<string>, run: PatternRun): unknown {
  if (!isSchemaObject(node)) return node;
  // Built as entries (Object.fromEntries), so a "__proto__" key stays a plain key.
  const entries: [string, unknown][] = [];
  // The schema's own allOf entries keep their indexes (references may name them); ours follow.
  let ownAllOf: unknown[] = [];
  const allOf: unknown[] = [];
  const matchedKeys: [string, true][] = [];
  const declared = isSchemaObject(node.properties) ? node.properties : {};
  const rewriteMap = (map: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(map).map(([k, v]) => [k, rewrite(v, keys, run)]));
  for (const [key, value] of Object.entries(node)) {
    if (identityKeywords.has(key) && typeof value === 'string') continue;
    // Declared properties are written after the loop, with those only a pattern declared.
    if (key === 'properties' && isSchemaObject(value)) continue;
    if (key === 'pattern' && typeof value === 'string') {
      allOf.push({ format: patternFormat(value, run) });
    } else if (key === 'patternProperties' && isSchemaObject(value)) {
      for (const [pattern, schema] of Object.entries(value)) {
        const matched = keysMatching(pattern, keys, run);
        if (matched.length === 0) continue;
        const child = rewrite(schema, keys, run);
        allOf.push({ properties: Object.fromEntries(matched.map((k) => [k, child])) });
        for (const k of matched) if (!Object.hasOwn(declared, k)) matchedKeys.push([k, true]);
      }
    } else if (key === 'allOf' && Array.isArray(value)) {
      ownAllOf = value.map((item) => rewrite(item, keys, run));
    } else if (dataKeywords.has(key)) {
      entries.push([key, value]);
    } else if (listKeywords.has(key) && Array.isArray(value)) {
      entries.push([key, value.map((item) => rewrite(item, keys, run))]);
    } else if (mapKeywords.has(key) && isSchemaObject(value)) {
      entries.push([key, rewriteMap(value)]);
    } else {
      entries.push([key, rewrite(value, keys, run)]);
    }
  }
  if (isSchemaObject(node.properties) || matchedKeys.length > 0) {
    // Keys only a pattern declared count as declared, as patternProperties made them.
    entries.push(['properties', { ...Object.fromEntries(matchedKeys), ...rewriteMap(declared) }]);
  }
  if (ownAllOf.length + allOf.length > 0) entries.push(['allOf', [...ownAllOf, ...allOf]]);
  return Object.fromEntries(entries);
}

/** Every object key in a JSON value, walked without recursion. */
function objectKeys(value: unknown): Set<string> {
  const keys = new Set<string>();
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (!Array.isArray(node)) for (const key of Object.keys(node)) keys.add(key);
    for (const child of Object.values(node)) stack.push(child);
  }
  return keys;
}

/** Runs `work` with extra formats registered in the library's table, restored afterwards. */
function withFormats<T>(extra: Map<string, (text: string) => boolean>, work: () => T): T {
  const table = format as Record<string, ((text: string) => boolean) | undefined>;
  const saved = new Map<string, ((text: string) => boolean) | undefined>();
  const entries = [...Object.entries(safeFormats), ...extra];
  for (const [name, check] of entries) {
    saved.set(name, table[name]);
    table[name] = check;
  }
  try {
    return work();
  } finally {
    for (const [name, check] of saved) {
      if (check === undefined) delete table[name];
      else table[name] = check;
    }
  }
}

/**
 * A caller's JSON Schema, validated by @cfworker/json-schema: an interpreter, not a code
 * generator, so it runs on Workers where eval and new Function are forbidden. Caller patterns
 * run on RE2 (see `rewrite`), and the one backtracking format on a parser. Validation is
 * synchronous, so the formats it registers are never seen by another request.
 */
export function jsonSchemaValidator(schema: JsonSchema): ResultValidator {
  const usesPatternProperties = JSON.stringify(schema).includes('"patternProperties"');
  const build = (value: unknown) => {
    const run: PatternRun = { formats: new Map(), workLeft: PATTERN_WORK, overBudget: false };
    const keys = usesPatternProperties ? objectKeys(value) : new Set<string>();
    const validator = new Validator(rewrite(schema, keys, run) as JsonSchema, '2020-12', false);
    return { run, validator };
  };
  // Built once up front, so that a schema the library cannot take fails before any model call.
  build(undefined);
  return (value) => {
    let outcome: ReturnType<Validator['validate']>;
    let run: PatternRun;
    try {
      const built = build(value);
      run = built.run;
      outcome = withFormats(run.formats, () => built.validator.validate(value));
    } catch (error) {
      const reason = error instanceof RangeError ? 'it nests too deeply' : 'the validator failed on it';
      return [{ pointer: '/result', detail: `the reply could not be validated: ${reason}` }];
    }
    if (outcome.valid) return [];
    const leaves = outcome.errors.filter((e) => !summaryKeywords.has(e.keyword));
    const errors: FieldError[] = (leaves.length > 0 ? leaves : outcome.errors).map((e) => ({
      pointer: `/result${e.instanceLocation.replace(/^#/, '')}`,
      detail: e.keyword === 'format' && e.error.includes(TOKEN) ? 'String does not match pattern.' : e.error,
    }));
    if (run.overBudget) {
      errors.push({
        pointer: '/result',
        detail:
          'the reply needs more pattern matching than one validation allows (long strings against complex patterns)',
      });
    }
    return errors;
  };
}
