import type { Config } from '../config/schema.ts';
import { type FieldError, pointerSegment } from '../errors.ts';
import {
  isSchemaObject,
  minimalSizes,
  nestingDepth,
  resolveRef,
  schemaKeywords,
} from '../llm/schema-demand.ts';
import { compilePattern, MAX_SCHEMA_PROGRAM_SIZE } from './patterns.ts';

export interface SchemaLimits {
  /** Size of the schema itself, as JSON. */
  maxBytes: number;
  /** Nesting of the schema itself, as JSON. */
  maxDepth: number;
  /** Items one array may be required to hold (minItems, minContains; minProperties too). */
  maxItems: number;
  /** Characters one string may be required to hold (minLength). */
  maxStringLength: number;
  /** Bytes of the smallest value the schema accepts, as JSON. */
  maxOutputBytes: number;
}

/** The limits every caller schema is held to (`/analyze`, `/v1` response formats and tools). */
export const schemaLimits = (config: Config): SchemaLimits => ({
  maxBytes: config.ANALYZE_SCHEMA_MAX_BYTES,
  maxDepth: config.ANALYZE_SCHEMA_MAX_DEPTH,
  maxItems: config.SCHEMA_MAX_ITEMS,
  maxStringLength: config.SCHEMA_MAX_STRING_LENGTH,
  maxOutputBytes: config.SCHEMA_MAX_OUTPUT_BYTES,
});

const typeNames = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const countKeys = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'];
const numberKeys = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const MAX_PROBLEMS = 20;

/** RE2 instructions compiled for one request's schemas so far (shared by all of them). */
export interface ProgramBudget {
  used: number;
}

interface Walk {
  root: Record<string, unknown>;
  /** The pointer of the schema's root in the request. */
  base: string;
  limits: SchemaLimits;
  out: FieldError[];
  program: ProgramBudget;
  /** Subschemas already walked. */
  visited: Set<unknown>;
  /** Reference targets still to walk (after the tree, so chains of references never recurse). */
  pending: [unknown, string][];
}

// Patterns run against model output on RE2 (src/gateway/patterns.ts); this refuses what RE2 cannot
// compile, and more pattern program than a schema may carry.
function patternProblem(pattern: unknown, walk: Walk): string | undefined {
  if (typeof pattern !== 'string') return 'must be a string';
  if (walk.program.used > MAX_SCHEMA_PROGRAM_SIZE)
    return 'is not checked: the patterns before it are too complex';
  const compiled = compilePattern(pattern);
  if (!compiled.ok) return compiled.problem;
  walk.program.used += compiled.programSize;
  if (walk.program.used > MAX_SCHEMA_PROGRAM_SIZE) {
    return `makes the request's patterns too complex together (over ${MAX_SCHEMA_PROGRAM_SIZE} RE2 instructions)`;
  }
  return undefined;
}

// What each count keyword may demand, beyond which the value itself would be too large.
const demandBounds = (limits: SchemaLimits): Record<string, [number, string]> => ({
  minItems: [limits.maxItems, 'items'],
  minContains: [limits.maxItems, 'items'],
  minProperties: [limits.maxItems, 'properties'],
  minLength: [limits.maxStringLength, 'characters'],
});

function refProblem(ref: unknown, walk: Walk): string | undefined {
  if (typeof ref !== 'string' || !(ref === '#' || ref.startsWith('#/'))) {
    return 'must be a local JSON pointer reference ("#" or "#/...")';
  }
  if (resolveRef(walk.root, ref) === undefined)
    return `does not resolve to a schema inside the schema: ${ref}`;
  // Patterns are rewritten for RE2 before validation; a reference into them would dangle.
  if (/\/patternProperties(\/|$)/.test(ref)) return 'must not point into patternProperties';
  return undefined;
}

/** Structural problems of one schema node and everything below it (the schema's depth is bounded). */
function walk(node: unknown, at: string, w: Walk): void {
  const { out } = w;
  if (out.length >= MAX_PROBLEMS) return;
  if (typeof node === 'boolean') return;
  if (!isSchemaObject(node)) {
    out.push({ pointer: at, detail: 'must be a JSON Schema (an object or a boolean)' });
    return;
  }
  const problem = (key: string, detail: string) =>
    out.push({ pointer: `${at}/${pointerSegment(key)}`, detail });
  const { type } = node;
  if (type !== undefined) {
    const names = Array.isArray(type) ? type : [type];
    if (names.length === 0 || names.some((t) => typeof t !== 'string' || !typeNames.has(t))) {
      problem('type', `must be one of ${[...typeNames].join(', ')} (or a list of them)`);
    }
  }
  if (
    node.required !== undefined &&
    !(Array.isArray(node.required) && node.required.every((r) => typeof r === 'string'))
  ) {
    problem('required', 'must be a list of property names');
  }
  if (node.enum !== undefined && !(Array.isArray(node.enum) && node.enum.length > 0)) {
    problem('enum', 'must be a non-empty list');
  }
  for (const key of [...countKeys, 'minContains', 'maxContains']) {
    const v = node[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0))
      problem(key, 'must be a non-negative integer');
  }
  for (const [key, [bound, unit]] of Object.entries(demandBounds(w.limits))) {
    const v = node[key];
    if (typeof v === 'number' && v > bound)
      problem(key, `must be at most ${bound} (${unit} cairn writes at most)`);
  }
  for (const key of numberKeys)
    if (node[key] !== undefined && typeof node[key] !== 'number') problem(key, 'must be a number');
  if (node.multipleOf !== undefined && !(typeof node.multipleOf === 'number' && node.multipleOf > 0)) {
    problem('multipleOf', 'must be a positive number');
  }
  if (node.pattern !== undefined) {
    const issue = patternProblem(node.pattern, w);
    if (issue) problem('pattern', issue);
  }
  if (node.$ref !== undefined) {
    const issue = refProblem(node.$ref, w);
    if (issue) problem('$ref', issue);
    else {
      // A reference may name any object, even one under a keyword cairn does not walk: walk it too.
      w.pending.push([resolveRef(w.root, node.$ref as string), `${w.base}${(node.$ref as string).slice(1)}`]);
    }
  }
  for (const key of schemaKeywords.single) {
    if (node[key] === undefined) continue;
    if (key === 'items' && Array.isArray(node.items)) {
      for (const [i, s] of node.items.entries()) visit(s, `${at}/items/${i}`, w);
    } else visit(node[key], `${at}/${key}`, w);
  }
  for (const key of schemaKeywords.list) {
    if (node[key] === undefined) continue;
    const list = node[key];
    if (!Array.isArray(list) || list.length === 0) problem(key, 'must be a non-empty list of schemas');
    else for (const [i, s] of list.entries()) visit(s, `${at}/${key}/${i}`, w);
  }
  for (const key of schemaKeywords.map) {
    if (node[key] === undefined) continue;
    const map = node[key];
    if (!isSchemaObject(map)) {
      problem(key, 'must be an object of schemas');
      continue;
    }
    for (const [name, child] of Object.entries(map)) {
      if (key === 'patternProperties') {
        const issue = patternProblem(name, w);
        if (issue) out.push({ pointer: `${at}/${key}/${pointerSegment(name)}`, detail: `pattern ${issue}` });
      }
      visit(child, `${at}/${key}/${pointerSegment(name)}`, w);
    }
  }
  // Draft 7's dependencies: lists of property names, or schemas the validator applies too.
  if (isSchemaObject(node.dependencies)) {
    for (const [name, child] of Object.entries(node.dependencies)) {
      if (!Array.isArray(child)) visit(child, `${at}/dependencies/${pointerSegment(name)}`, w);
    }
  }
}

/** Walks a subschema once: the same object reached again (through a reference) is not repeated. */
function visit(node: unknown, at: string, w: Walk): void {
  if (isSchemaObject(node)) {
    if (w.visited.has(node)) return;
    w.visited.add(node);
  }
  walk(node, at, w);
}

function demandProblem(schema: Record<string, unknown>, limits: SchemaLimits, at: string): FieldError[] {
  // Sizes are JSON bytes; integers, so a demand of 1e8 items times anything stays comparable.
  const bytes = minimalSizes(schema)(schema);
  if (bytes === Number.POSITIVE_INFINITY) {
    return [
      {
        pointer: at,
        detail:
          'has no finite valid value (a required property or item refers back to its own schema with no way out)',
      },
    ];
  }
  if (bytes > limits.maxOutputBytes) {
    return [
      {
        pointer: at,
        detail: `demands at least ${Math.round(bytes)} bytes of JSON per reply; at most ${limits.maxOutputBytes} are produced (lower minItems, minLength or the nesting of required arrays)`,
      },
    ];
  }
  return [];
}

/**
 * Why a caller-supplied JSON Schema cannot be used (empty when it can): too deep (checked first,
 * without recursion, so thousands of levels are a 4xx and not a stack overflow), too large, not an
 * object schema at the root (`objectRoot`), malformed keywords, references leaving the document,
 * patterns RE2 cannot run, or a smallest valid value larger than cairn writes. Pointers are rooted
 * at `at`.
 */
export function schemaProblems(
  schema: Record<string, unknown>,
  limits: SchemaLimits,
  at = '/body/schema',
  options: { objectRoot?: boolean; program?: ProgramBudget } = {},
): FieldError[] {
  if (nestingDepth(schema, limits.maxDepth) > limits.maxDepth) {
    return [{ pointer: at, detail: `must nest at most ${limits.maxDepth} levels deep` }];
  }
  const bytes = new TextEncoder().encode(JSON.stringify(schema)).length;
  if (bytes > limits.maxBytes) {
    return [{ pointer: at, detail: `must be at most ${limits.maxBytes} bytes as JSON (got ${bytes})` }];
  }
  const out: FieldError[] = [];
  if ((options.objectRoot ?? true) && schema.type !== 'object')
    out.push({ pointer: `${at}/type`, detail: 'the root must be "type": "object"' });
  const w: Walk = {
    root: schema,
    base: at,
    limits,
    out,
    program: options.program ?? { used: 0 },
    visited: new Set([schema]),
    pending: [],
  };
  walk(schema, at, w);
  for (let next = w.pending.pop(); next; next = w.pending.pop()) visit(next[0], next[1], w);
  if (out.length > 0) return out.slice(0, MAX_PROBLEMS);
  return demandProblem(schema, limits, at);
}
