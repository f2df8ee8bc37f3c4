// What a JSON Schema demands of a value, computed without recursion on the schema's nesting: the
// gateway refuses caller schemas whose smallest valid value is too large, and the local provider
// uses the same sizes to build that smallest value when it must.

type SchemaObject = Record<string, unknown>;

/** Keywords whose value is one schema, a list of schemas, or a map of schemas (draft 2020-12). */
export const schemaKeywords = {
  single: [
    'additionalProperties',
    'items',
    'additionalItems',
    'unevaluatedItems',
    'unevaluatedProperties',
    'not',
    'contains',
    'propertyNames',
    'if',
    'then',
    'else',
  ],
  list: ['anyOf', 'oneOf', 'allOf', 'prefixItems'],
  map: ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'],
} as const;

export const isSchemaObject = (value: unknown): value is SchemaObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The subschemas directly under `node` (pushed one by one: spreading a long list overflows the stack). */
function childSchemas(node: SchemaObject): unknown[] {
  const out: unknown[] = [];
  const add = (list: readonly unknown[]) => {
    for (const item of list) out.push(item);
  };
  for (const key of schemaKeywords.single) {
    const value = node[key];
    if (key === 'items' && Array.isArray(value)) add(value);
    else if (value !== undefined) out.push(value);
  }
  for (const key of schemaKeywords.list) if (Array.isArray(node[key])) add(node[key] as unknown[]);
  for (const key of schemaKeywords.map) {
    const map = node[key];
    if (isSchemaObject(map)) add(Object.values(map));
  }
  return out;
}

const decodePart = (part: string): string | undefined => {
  try {
    return decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
  } catch {
    return undefined;
  }
};

/** The schema (object or boolean) a local reference ("#/...") names; undefined when there is none. */
export function resolveRef(root: unknown, ref: string): SchemaObject | boolean | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodePart(part);
    if (key === undefined || !isSchemaObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return isSchemaObject(node) || typeof node === 'boolean' ? node : undefined;
}

/**
 * Levels of nesting of a JSON value (a scalar is 0), counted with an explicit stack so that
 * thousands of levels cannot overflow the call stack. Stops as soon as it passes `limit`.
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, level]);
    }
  }
  return deepest;
}

/** Every schema object in `root` (ref targets included), parents before children; no recursion. */
function schemaNodes(root: unknown): SchemaObject[] {
  const seen = new Set<SchemaObject>();
  const out: SchemaObject[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isSchemaObject(node) || seen.has(node)) continue;
    seen.add(node);
    out.push(node);
    if (typeof node.$ref === 'string') stack.push(resolveRef(root, node.$ref));
    for (const child of childSchemas(node).reverse()) stack.push(child);
  }
  return out;
}

// Bytes of the smallest JSON values the local provider writes for each type.
const NULL_BYTES = 4;
const NUMBER_BYTES = 8;
// The longest placeholder a string format gets ("unknown@example.invalid", a UUID).
const FORMAT_BYTES = 36;

const count = (value: unknown) => (typeof value === 'number' && value > 0 ? value : 0);
const jsonBytes = (value: unknown) => (JSON.stringify(value) ?? 'null').length;
// Not Math.min(...list): spreading a long enum overflows the call stack.
const least = <T>(list: readonly T[], of: (item: T) => number) =>
  list.reduce((low, item) => Math.min(low, of(item)), Number.POSITIVE_INFINITY);

/** The size of a subschema's smallest valid value, as far as it is known yet. */
export type SizeOf = (schema: unknown) => number;

/** The types a node allows, `null` meaning any. */
export function allowedTypes(node: SchemaObject): string[] | null {
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.type)) return node.type.filter((t): t is string => typeof t === 'string');
  return null;
}

/** Bytes of the smallest value of `type` that satisfies `node`, from its subschemas' sizes. */
export function typeBytes(node: SchemaObject, type: string, size: SizeOf): number {
  switch (type) {
    case 'null':
    case 'boolean':
      return NULL_BYTES;
    case 'number':
    case 'integer':
      return NUMBER_BYTES;
    case 'string':
      return 2 + Math.max(count(node.minLength), typeof node.format === 'string' ? FORMAT_BYTES : 0);
    case 'array': {
      const wanted = count(node.minItems);
      const prefix = (
        Array.isArray(node.prefixItems) ? node.prefixItems : Array.isArray(node.items) ? node.items : []
      ) as unknown[];
      const rest = Array.isArray(node.items) ? (node.additionalItems ?? true) : (node.items ?? true);
      let total = 2;
      for (let i = 0; i < Math.min(wanted, prefix.length); i++) total += size(prefix[i]) + 1;
      if (wanted > prefix.length) total += (wanted - prefix.length) * (size(rest) + 1);
      return total;
    }
    case 'object': {
      const required = Array.isArray(node.required)
        ? [...new Set(node.required.filter((r): r is string => typeof r === 'string'))]
        : [];
      const properties = isSchemaObject(node.properties) ? node.properties : {};
      let total = 2;
      for (const key of required) {
        const schema = Object.hasOwn(properties, key) ? properties[key] : (node.additionalProperties ?? true);
        total += key.length + 4 + size(schema);
      }
      return total + Math.max(0, count(node.minProperties) - required.length) * (NULL_BYTES + 6);
    }
    default:
      return NULL_BYTES;
  }
}

function nodeBytes(node: unknown, root: unknown, size: SizeOf): number {
  if (node === false) return Number.POSITIVE_INFINITY;
  if (!isSchemaObject(node)) return NULL_BYTES;
  let bytes: number;
  if ('const' in node) bytes = jsonBytes(node.const);
  else if (Array.isArray(node.enum) && node.enum.length > 0) bytes = least(node.enum, jsonBytes);
  else {
    const types = allowedTypes(node);
    bytes = types === null ? NULL_BYTES : least(types, (t) => typeBytes(node, t, size));
  }
  if (typeof node.$ref === 'string') {
    const target = resolveRef(root, node.$ref);
    if (target !== undefined) bytes = Math.max(bytes, size(target));
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = node[key];
    if (Array.isArray(branches) && branches.length > 0) bytes = Math.max(bytes, least(branches, size));
  }
  if (Array.isArray(node.allOf)) for (const part of node.allOf) bytes = Math.max(bytes, size(part));
  return bytes;
}

// Re-evaluations allowed per subschema: far more than any real schema needs; past it, the sizes
// found so far stand (each is the size of a value that exists, so the check errs on refusing).
const EVALUATIONS_PER_NODE = 100;

/**
 * The size in bytes of the smallest valid value of every subschema of `root`: Infinity when none
 * is finite (a required property that refers back to itself with no way out). Computed as a fixed
 * point from "unknown" (Infinity) downwards with a worklist (a subschema whose size drops puts the
 * schemas that use it back on the list), so recursion through references needs no recursion here.
 */
export function minimalSizes(root: unknown): SizeOf {
  const nodes = schemaNodes(root);
  const users = new Map<SchemaObject, SchemaObject[]>();
  for (const node of nodes) {
    const used = childSchemas(node);
    if (typeof node.$ref === 'string') used.push(resolveRef(root, node.$ref));
    for (const child of used) {
      if (!isSchemaObject(child)) continue;
      const list = users.get(child);
      if (list) list.push(node);
      else users.set(child, [node]);
    }
  }
  const sizes = new Map<SchemaObject, number>();
  const size: SizeOf = (schema) =>
    isSchemaObject(schema) ? (sizes.get(schema) ?? Number.POSITIVE_INFINITY) : nodeBytes(schema, root, size);
  // Children first: a tree settles in one sweep.
  const queue = [...nodes].reverse();
  const queued = new Set(queue);
  let evaluations = EVALUATIONS_PER_NODE * nodes.length;
  for (let i = 0; i < queue.length && evaluations-- > 0; i++) {
    const node = queue[i]!;
    queued.delete(node);
    const next = nodeBytes(node, root, size);
    if (next >= size(node)) continue;
    sizes.set(node, next);
    for (const user of users.get(node) ?? []) {
      if (queued.has(user)) continue;
      queued.add(user);
      queue.push(user);
    }
  }
  return size;
}
