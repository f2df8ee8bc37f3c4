import type { FieldError } from '../errors.ts';

export interface SchemaLimits {
  maxBytes: number;
  maxDepth: number;
}

const typeNames = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const schemaKeys = [
  'additionalProperties',
  'items',
  'not',
  'contains',
  'propertyNames',
  'if',
  'then',
  'else',
];
const schemaListKeys = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const schemaMapKeys = ['properties', '$defs', 'definitions', 'dependentSchemas'];
const countKeys = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'];
const numberKeys = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const MAX_PATTERN = 200;

const escapeKey = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function depthOf(value: unknown, limit: number, depth = 1): number {
  if (typeof value !== 'object' || value === null || depth > limit) return depth;
  let deepest = depth;
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null)
      deepest = Math.max(deepest, depthOf(child, limit, depth + 1));
  }
  return deepest;
}

// Patterns run against model output: refuse the nested quantifiers behind catastrophic backtracking.
function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern.length > MAX_PATTERN) return `must be at most ${MAX_PATTERN} characters`;
  if (/\([^)]*[+*}][^)]*\)\s*[+*{]/.test(pattern)) return 'must not repeat a group that itself repeats';
  try {
    new RegExp(pattern, 'u');
  } catch {
    return 'is not a valid regular expression';
  }
  return undefined;
}

function resolves(root: Record<string, unknown>, ref: string): boolean {
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    if (!isObject(node)) return false;
    node = node[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node !== undefined;
}

/** Structural problems of one schema node and everything below it. */
function walk(node: unknown, at: string, root: Record<string, unknown>, out: FieldError[]): void {
  if (out.length >= 20) return;
  if (typeof node === 'boolean') return;
  if (!isObject(node)) {
    out.push({ pointer: at, detail: 'must be a JSON Schema (an object or a boolean)' });
    return;
  }
  const problem = (key: string, detail: string) => out.push({ pointer: `${at}/${escapeKey(key)}`, detail });
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
  for (const key of countKeys) {
    const v = node[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0))
      problem(key, 'must be a non-negative integer');
  }
  for (const key of numberKeys)
    if (node[key] !== undefined && typeof node[key] !== 'number') problem(key, 'must be a number');
  if (node.multipleOf !== undefined && !(typeof node.multipleOf === 'number' && node.multipleOf > 0)) {
    problem('multipleOf', 'must be a positive number');
  }
  if (node.pattern !== undefined) {
    const issue = patternProblem(node.pattern);
    if (issue) problem('pattern', issue);
  }
  if (node.$ref !== undefined) {
    if (typeof node.$ref !== 'string' || !node.$ref.startsWith('#'))
      problem('$ref', 'must be a local reference ("#/...")');
    else if (!resolves(root, node.$ref)) problem('$ref', `does not resolve inside the schema: ${node.$ref}`);
  }
  for (const key of schemaKeys) {
    if (node[key] === undefined) continue;
    if (key === 'items' && Array.isArray(node.items)) {
      for (const [i, s] of node.items.entries()) walk(s, `${at}/items/${i}`, root, out);
    } else walk(node[key], `${at}/${key}`, root, out);
  }
  for (const key of schemaListKeys) {
    if (node[key] === undefined) continue;
    const list = node[key];
    if (!Array.isArray(list) || list.length === 0) problem(key, 'must be a non-empty list of schemas');
    else for (const [i, s] of list.entries()) walk(s, `${at}/${key}/${i}`, root, out);
  }
  for (const key of [...schemaMapKeys, 'patternProperties']) {
    if (node[key] === undefined) continue;
    const map = node[key];
    if (!isObject(map)) {
      problem(key, 'must be an object of schemas');
      continue;
    }
    for (const [name, child] of Object.entries(map)) {
      if (key === 'patternProperties') {
        const issue = patternProblem(name);
        if (issue) out.push({ pointer: `${at}/${key}/${escapeKey(name)}`, detail: `pattern ${issue}` });
      }
      walk(child, `${at}/${key}/${escapeKey(name)}`, root, out);
    }
  }
}

/**
 * Why a caller-supplied JSON Schema cannot be used (empty when it can): too large, too deep, not
 * an object schema at the root, malformed keywords, references leaving the document, or
 * patterns prone to catastrophic backtracking. Pointers are rooted at `at`.
 */
export function schemaProblems(
  schema: Record<string, unknown>,
  limits: SchemaLimits,
  at = '/body/schema',
): FieldError[] {
  const bytes = new TextEncoder().encode(JSON.stringify(schema)).length;
  if (bytes > limits.maxBytes) {
    return [{ pointer: at, detail: `must be at most ${limits.maxBytes} bytes as JSON (got ${bytes})` }];
  }
  if (depthOf(schema, limits.maxDepth) > limits.maxDepth) {
    return [{ pointer: at, detail: `must nest at most ${limits.maxDepth} levels deep` }];
  }
  const out: FieldError[] = [];
  if (schema.type !== 'object')
    out.push({ pointer: `${at}/type`, detail: 'the root must be "type": "object"' });
  walk(schema, at, schema, out);
  return out;
}
