import type { JsonSchema } from '../llm-client.ts';
import { LlmError } from '../llm-error.ts';
import { allowedTypes, minimalSizes, resolveRef, type SizeOf, typeBytes } from '../schema-demand.ts';
import {
  clip,
  type Hint,
  hintOf,
  numberFor,
  textHints,
  textValue,
  type ValueSource,
} from './property-hints.ts';

/**
 * How much one schema may make the local provider write, whatever it asks for. The gateway
 * refuses schemas demanding more; these hold even for a schema that reached the provider anyway.
 */
export interface SchemaBounds {
  /** Items in one array. */
  maxItems: number;
  /** Characters in one string. */
  maxStringLength: number;
  /** Bytes of the whole value as JSON. */
  maxOutputBytes: number;
}

export const DEFAULT_SCHEMA_BOUNDS: SchemaBounds = {
  maxItems: 1000,
  maxStringLength: 10_000,
  maxOutputBytes: 262_144,
};

const asSchema = (value: unknown): JsonSchema | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : undefined;

// Levels of structure filled from the text; deeper, and inside a reference already followed on
// the way down (a recursive schema), only the smallest valid value is written.
const MAX_DEPTH = 12;
// Steps of the smallest value before giving up: only a schema without a finite value gets there.
const MAX_MINIMAL_DEPTH = 256;
// Characters of the text searched for an enum option it mentions.
const ENUM_SCAN_CHARS = 10_000;

/** What one pass over a schema shares: its bounds, the bytes written so far, memos. */
interface Run {
  bounds: SchemaBounds;
  bytes: number;
  sizes?: SizeOf;
  strings: Map<Hint, string>;
  enums: WeakMap<unknown[], unknown>;
  lowerText?: string;
}

interface Fill {
  root: JsonSchema;
  source: ValueSource;
  depth: number;
  /** References followed to get here. */
  refs: readonly string[];
  /** Write the smallest valid value (required properties, minItems items) instead of a full one. */
  minimal: boolean;
  run: Run;
}

/** The pass wrote more than its bounds allow. */
class OutOfBounds extends Error {}

function charge(run: Run, bytes: number): void {
  run.bytes += bytes;
  if (run.bytes > run.bounds.maxOutputBytes) throw new OutOfBounds();
}

const sizesOf = (ctx: Fill) => {
  ctx.run.sizes ??= minimalSizes(ctx.root);
  return ctx.run.sizes;
};

/** At most `max` UTF-16 units of `text`, never cutting a surrogate pair. */

function stringFor(hint: Hint | undefined, ctx: Fill): string {
  const { run } = ctx;
  const memo = hint !== undefined && textHints.has(hint);
  const known = memo ? run.strings.get(hint) : undefined;
  if (known !== undefined) return known;
  const value = clip(textValue(hint, ctx.source, run.bounds.maxStringLength), run.bounds.maxStringLength);
  if (memo) run.strings.set(hint, value);
  return value;
}

function fitNumber(value: number, schema: JsonSchema, integer: boolean): number {
  let n = integer ? Math.round(value) : value;
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  if (step) n = Math.round(n / step) * step;
  const unit = step ?? (integer ? 1 : 1e-6);
  if (typeof schema.minimum === 'number' && n < schema.minimum) n = schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number' && n <= schema.exclusiveMinimum)
    n = schema.exclusiveMinimum + unit;
  if (typeof schema.maximum === 'number' && n > schema.maximum) n = schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && n >= schema.exclusiveMaximum)
    n = schema.exclusiveMaximum - unit;
  return integer ? Math.round(n) : Math.round(n * 1e6) / 1e6;
}

// What a formatted string gets when the text offers nothing (and always in the smallest value).
const placeholders: Record<string, string> = {
  'date-time': '1970-01-01T00:00:00Z',
  date: '1970-01-01',
  time: '00:00:00Z',
  email: 'unknown@example.invalid',
  uri: 'urn:cairn:none',
  url: 'urn:cairn:none',
  uuid: '00000000-0000-0000-0000-000000000000',
};
const fromText: Record<string, Hint> = { email: 'email', uri: 'url', url: 'url' };

function formatted(format: string, ctx: Fill): string | undefined {
  const placeholder = placeholders[format];
  if (placeholder === undefined) return undefined;
  const hint = fromText[format];
  return (!ctx.minimal && hint && stringFor(hint, ctx)) || placeholder;
}

/** `value` within the schema's length bounds (in code points) and cairn's, padded when too short. */
function fitString(value: string, schema: JsonSchema, bounds: SchemaBounds): string {
  const cap = bounds.maxStringLength;
  const maxLength = typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, cap) : cap;
  const minLength = typeof schema.minLength === 'number' ? Math.min(schema.minLength, cap) : 0;
  let chars = Array.from(clip(value, 2 * cap));
  if (chars.length > maxLength) chars = chars.slice(0, maxLength);
  if (chars.length < minLength) {
    if (chars.length === 0) chars = ['n', '/', 'a'];
    if (chars.length < minLength) chars.push('.'.repeat(minLength - chars.length));
    chars = Array.from(chars.join('')).slice(0, Math.max(minLength, maxLength));
  }
  return chars.join('');
}

// Synonyms a caller's sentiment enum may use.
const sentimentWords: Record<string, string[]> = {
  positive: ['positive', 'pos', 'good', 'happy', 'favorable', 'favourable', 'up'],
  negative: ['negative', 'neg', 'bad', 'unhappy', 'unfavorable', 'unfavourable', 'down'],
  neutral: ['neutral', 'neu', 'mixed', 'none', 'other'],
};

function chooseEnum(options: unknown[], hint: Hint | undefined, ctx: Fill): unknown {
  const wanted = hint ? stringFor(hint, ctx).toLowerCase() : '';
  const byText = (candidates: string[]) =>
    options.find((o) => typeof o === 'string' && candidates.includes(o.toLowerCase()));
  const exact = wanted ? byText([wanted]) : undefined;
  if (exact !== undefined) return exact;
  if (hint === 'sentiment') {
    const synonym = byText(sentimentWords[ctx.source.analysis.sentiment.label] ?? []);
    if (synonym !== undefined) return synonym;
  }
  // The option the text mentions first in the list: looked up once per enum and text.
  const { run } = ctx;
  if (!run.enums.has(options)) {
    run.lowerText ??= ctx.source.analysis.text.slice(0, ENUM_SCAN_CHARS).toLowerCase();
    const text = run.lowerText;
    run.enums.set(
      options,
      options.find((o) => typeof o === 'string' && o.length > 2 && text.includes(o.toLowerCase())) ??
        options[0],
    );
  }
  return run.enums.get(options);
}

const deeper = (ctx: Fill, changes: Partial<Fill> = {}): Fill => ({
  ...ctx,
  depth: ctx.depth + 1,
  ...changes,
});

function fillArray(schema: JsonSchema, hint: Hint | undefined, ctx: Fill): unknown[] {
  const { bounds } = ctx.run;
  const item = asSchema(schema.items) ?? {};
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
  const itemAt = (i: number) => (i < prefix.length ? prefix[i] : item);
  const min = Math.min(typeof schema.minItems === 'number' ? schema.minItems : 0, bounds.maxItems);
  charge(ctx.run, 2);
  let values: unknown[] = [];
  if (!ctx.minimal) {
    const { analysis } = ctx.source;
    const itemType = item.type ?? (item.properties ? 'object' : undefined);
    if (hint === 'entities' || (itemType === 'object' && hint !== 'topics')) {
      values = analysis.entities.map((entity) =>
        fillValue(item, '', deeper(ctx, { source: { ...ctx.source, entity } })),
      );
    } else if (hint === 'topics' || itemType === 'string') {
      values = analysis.topics.map((topic) =>
        fillValue(
          item,
          '',
          deeper(ctx, { source: { ...ctx.source, entity: { name: topic, type: 'other' } } }),
        ),
      );
    }
    if (schema.uniqueItems) {
      const seen = new Set<string>();
      values = values.filter((v) => {
        const key = JSON.stringify(v);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
  }
  for (let i = values.length; i < min; i++) values.push(fillValue(itemAt(i), '', deeper(ctx)));
  const max = Math.min(
    typeof schema.maxItems === 'number' ? schema.maxItems : bounds.maxItems,
    bounds.maxItems,
  );
  if (values.length > max) values = values.slice(0, max);
  charge(ctx.run, values.length);
  return values;
}

function fillObject(schema: JsonSchema, ctx: Fill): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = asSchema(schema.properties) ?? {};
  charge(ctx.run, 2);
  const keys = ctx.minimal
    ? [...new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [])]
    : Object.keys(properties);
  for (const key of keys) {
    const child = Object.hasOwn(properties, key) ? properties[key] : schema.additionalProperties;
    charge(ctx.run, key.length + 4);
    out[key] = fillValue(child, key, deeper(ctx));
  }
  return out;
}

function leaf<T>(ctx: Fill, value: T): T {
  charge(ctx.run, typeof value === 'string' ? value.length + 2 : (JSON.stringify(value) ?? 'null').length);
  return value;
}

/** The type to write: the first non-null one (or the cheapest valid one for the smallest value). */
function chooseType(schema: JsonSchema, ctx: Fill): string | undefined {
  if (ctx.minimal) {
    const types = allowedTypes(schema);
    if (types === null) return 'null';
    const size = sizesOf(ctx);
    let best: string | undefined;
    let bestBytes = Number.POSITIVE_INFINITY;
    for (const type of types) {
      const bytes = typeBytes(schema, type, size);
      if (bytes < bestBytes) [best, bestBytes] = [type, bytes];
    }
    return best ?? types[0];
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return (
    types.find((t) => t !== 'null') ?? (schema.properties ? 'object' : schema.items ? 'array' : types[0])
  );
}

function fillValue(raw: unknown, name: string, ctx: Fill): unknown {
  if (ctx.depth > MAX_MINIMAL_DEPTH) throw new OutOfBounds();
  if (ctx.depth > MAX_DEPTH && !ctx.minimal) return fillValue(raw, name, { ...ctx, minimal: true });
  const hint = hintOf(name);
  const schema = asSchema(raw);
  if (!schema) return leaf(ctx, hint && !ctx.minimal ? stringFor(hint, ctx) : null);
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(ctx.root, schema.$ref);
    if (target === undefined) return leaf(ctx, null);
    const again = ctx.minimal || ctx.refs.includes(schema.$ref);
    return fillValue(target, name, {
      ...ctx,
      refs: [...ctx.refs, schema.$ref],
      minimal: again,
      depth: again ? ctx.depth + 1 : ctx.depth,
    });
  }
  if ('const' in schema) return leaf(ctx, schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return leaf(ctx, chooseEnum(schema.enum, hint, ctx));
  const branches = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) {
    if (ctx.minimal) {
      const size = sizesOf(ctx);
      const cheapest = branches.reduce((a, b) => (size(b) < size(a) ? b : a));
      return fillValue(cheapest, name, deeper(ctx));
    }
    const usable = branches.find((b) => asSchema(b)?.type !== 'null') ?? branches[0];
    return fillValue(usable, name, ctx);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: JsonSchema = { ...schema, allOf: undefined };
    const properties: JsonSchema = { ...asSchema(schema.properties) };
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    for (const part of schema.allOf as unknown[]) {
      const p = asSchema(part) ?? {};
      Object.assign(merged, p);
      Object.assign(properties, asSchema(p.properties));
      if (Array.isArray(p.required)) for (const r of p.required) required.add(r);
    }
    merged.properties = properties;
    merged.required = [...required];
    return fillValue(merged, name, ctx.minimal ? deeper(ctx) : ctx);
  }
  const type = chooseType(schema, ctx);
  switch (type) {
    case 'object':
      return fillObject(schema, ctx);
    case 'array':
      return fillArray(schema, hint, ctx);
    case 'number':
    case 'integer': {
      const value = ctx.minimal ? 0 : numberFor(hint, ctx.source, schema);
      return leaf(ctx, fitNumber(value, schema, type === 'integer'));
    }
    case 'boolean':
      return leaf(
        ctx,
        hint === 'sentiment' && !ctx.minimal ? ctx.source.analysis.sentiment.label === 'positive' : false,
      );
    case 'null':
      return leaf(ctx, null);
    default: {
      const format = typeof schema.format === 'string' ? formatted(schema.format, ctx) : undefined;
      const value = format ?? (ctx.minimal ? '' : stringFor(hint, ctx));
      return leaf(ctx, fitString(value, schema, ctx.run.bounds));
    }
  }
}

/**
 * A value shaped by `schema`, filled with what the local heuristics found in the text, within
 * `bounds`. When the full value would outgrow them, the smallest valid value is written instead;
 * when even that does not fit, the call is rejected.
 */
export function valueForSchema(
  schema: JsonSchema,
  source: ValueSource,
  bounds: SchemaBounds = DEFAULT_SCHEMA_BOUNDS,
): unknown {
  const pass = (minimal: boolean) =>
    fillValue(schema, '', {
      root: schema,
      source,
      depth: 0,
      refs: [],
      minimal,
      run: { bounds, bytes: 0, strings: new Map(), enums: new WeakMap() },
    });
  try {
    return pass(false);
  } catch (error) {
    if (!(error instanceof OutOfBounds)) throw error;
  }
  try {
    return pass(true);
  } catch (error) {
    if (!(error instanceof OutOfBounds)) throw error;
    throw new LlmError(
      'rejected',
      `The schema demands more than the local model writes (${bounds.maxOutputBytes} bytes of JSON, ${bounds.maxItems} items per array, ${bounds.maxStringLength} characters per string).`,
    );
  }
}
