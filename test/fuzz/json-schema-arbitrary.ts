import fc from 'fast-check';

/** A JSON Schema as the OpenAPI 3.1 document writes it (the subset cairn's routes use). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** Resolves `#/components/schemas/Name` references against the document's components. */
export type SchemaResolver = (ref: string) => JsonSchema;

// Valid-ish values stay small: the hostile sizes come from the mutations (hostile-values.ts).
const MAX_STRING = 40;
const MAX_ITEMS = 4;
const MAX_DEPTH = 8;

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? MAX_STRING, MAX_STRING));
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc
        .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
  }
  if (schema.pattern) {
    // The document's patterns are anchored character classes fast-check can generate from.
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= minLength && s.length <= maxLength);
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme-ascii' });
}

function numberFor(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
  const high =
    schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : low + 10_000);
  const min = Math.max(low, -1e9);
  const max = Math.max(min, Math.min(high, 1e9));
  // Mostly near the minimum, where configured limits below the schema's maximum do not bite.
  const nearMin = Math.min(max, min + 20);
  return integer
    ? fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(nearMin) }) },
        fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
      )
    : fc.oneof(
        { weight: 3, arbitrary: fc.double({ min, max: nearMin, noNaN: true, noDefaultInfinity: true }) },
        fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
      );
}

function objectFor(schema: JsonSchema, resolve: SchemaResolver, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const record = Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, valueFor(value, resolve, depth + 1)]),
  );
  const requiredKeys = Object.keys(properties).filter((key) => required.has(key));
  return fc.record(record, { requiredKeys });
}

function typedValue(
  type: string,
  schema: JsonSchema,
  resolve: SchemaResolver,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringFor(schema);
    case 'integer':
      return numberFor(schema, true);
    case 'number':
      return numberFor(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS));
      return fc.array(valueFor(schema.items ?? {}, resolve, depth + 1), { minLength, maxLength });
    }
    case 'object':
      return objectFor(schema, resolve, depth);
    default:
      throw new Error(`the fuzzer has no generator for JSON Schema type ${type}`);
  }
}

/**
 * Values that satisfy `schema`, most of the time: the starting point the mutations corrupt, so
 * most requests get past the first validation error and reach the code behind it.
 */
export function valueFor(schema: JsonSchema, resolve: SchemaResolver, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return valueFor(resolve(schema.$ref), resolve, depth);
  if (depth > MAX_DEPTH) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valueFor(s, resolve, depth)));
  if (schema.allOf) {
    return fc
      .tuple(...schema.allOf.map((s) => valueFor(s, resolve, depth)))
      .map((parts) => Object.assign({}, ...parts.filter((p) => typeof p === 'object' && p !== null)));
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) {
    return schema.properties ? objectFor(schema, resolve, depth) : fc.jsonValue({ maxDepth: 2 });
  }
  return fc.oneof(...types.map((type) => typedValue(type, schema, resolve, depth)));
}
