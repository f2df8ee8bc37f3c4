import type { JsonSchema } from '../llm-client.ts';
import type { Entity } from './entities.ts';
import type { TextAnalysis } from './text-analysis.ts';

/** What values are drawn from: the analysed text, and the entity being described inside an entity list. */
export interface ValueSource {
  analysis: TextAnalysis;
  entity?: Entity;
}

type Hint =
  | 'summary'
  | 'title'
  | 'sentiment'
  | 'confidence'
  | 'score'
  | 'rating'
  | 'topics'
  | 'entities'
  | 'language'
  | 'name'
  | 'type'
  | 'count'
  | 'query'
  | 'location'
  | 'url'
  | 'email'
  | 'number'
  | 'expression';

// Property names the offline provider understands, matched against a normalised name (lowercase, no separators).
const hintPatterns: [RegExp, Hint][] = [
  [/^(summary|abstract|synopsis|overview|gist|tldr|description|explanation|reason|rationale)/, 'summary'],
  [/^(title|headline|subject)$/, 'title'],
  [/(sentiment|polarity|tone|mood|label|feeling)$/, 'sentiment'],
  [/(confidence|probability|certainty)$/, 'confidence'],
  [/^(score|sentimentscore)$/, 'score'],
  [/(rating|stars)$/, 'rating'],
  [/(topics|keywords|tags|themes|categories|subjects|keyphrases)$/, 'topics'],
  [/(entities|people|persons|organizations|organisations|locations|places|names|mentions)$/, 'entities'],
  [/^(language|lang|locale|languagecode)$/, 'language'],
  [/^(name|entity|text|value)$/, 'name'],
  [/^(type|kind|category|class|entitytype)$/, 'type'],
  [/(count|length|wordcount|words)$/, 'count'],
  [/^(query|q|search|question|prompt|input|term|terms|keyword)$/, 'query'],
  [/(location|city|place|country|region)$/, 'location'],
  [/(url|uri|link|href)$/, 'url'],
  [/email$/, 'email'],
  [/^(expression|formula|calculation|equation)$/, 'expression'],
  [/^(number|amount|quantity|value|n|x|a|b)$/, 'number'],
];

const hintOf = (name: string): Hint | undefined => {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return hintPatterns.find(([pattern]) => pattern.test(key))?.[1];
};

const asSchema = (value: unknown): JsonSchema | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : undefined;

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = asSchema(node)?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return asSchema(node);
}

const firstMatch = (text: string, pattern: RegExp) => text.match(pattern)?.[0];
const firstSentence = (text: string) => (text.split(/(?<=[.!?])\s/)[0] ?? text).trim();

function stringFor(hint: Hint | undefined, source: ValueSource): string {
  const { analysis, entity } = source;
  switch (hint) {
    case 'title':
      return firstSentence(analysis.summary).slice(0, 80);
    case 'sentiment':
      return analysis.sentiment.label;
    case 'language':
      return analysis.language;
    case 'topics':
      return analysis.topics[0] ?? '';
    case 'name':
      return entity?.name ?? analysis.entities[0]?.name ?? analysis.topics[0] ?? '';
    case 'type':
      return entity?.type ?? 'other';
    case 'query':
    case 'expression':
      return hint === 'expression'
        ? (firstMatch(analysis.text, /[\d.]+(?:\s*[-+*/^]\s*[\d.()]+)+/) ?? analysis.text.trim())
        : analysis.text.trim();
    case 'location':
      return (
        analysis.entities.find((e) => e.type === 'location')?.name ??
        analysis.entities.find((e) => e.type === 'other')?.name ??
        ''
      );
    case 'url':
      return firstMatch(analysis.text, /https?:\/\/[^\s"'<>]+/) ?? '';
    case 'email':
      return firstMatch(analysis.text, /[\w.+-]+@[\w-]+(\.[\w-]+)+/) ?? '';
    default:
      return entity?.name ?? analysis.summary;
  }
}

function numberFor(hint: Hint | undefined, source: ValueSource, schema: JsonSchema): number {
  const { sentiment } = source.analysis;
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  // Polarity -1..1 placed on the schema's own range (a 1-5 rating, a 0-1 score…).
  const onRange = (lo: number, hi: number) => lo + ((sentiment.score + 1) / 2) * (hi - lo);
  switch (hint) {
    case 'confidence':
      return sentiment.confidence;
    case 'score':
    case 'sentiment':
      return min !== undefined && max !== undefined ? onRange(min, max) : sentiment.score;
    case 'rating':
      return onRange(min ?? 1, max ?? 5);
    case 'count':
      return source.analysis.text.split(/\s+/).filter(Boolean).length;
    case 'number':
      return Number(firstMatch(source.analysis.text, /-?\d+(\.\d+)?/) ?? 0);
    default:
      return 0;
  }
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

const formats: Record<string, (source: ValueSource) => string> = {
  'date-time': () => '1970-01-01T00:00:00Z',
  date: () => '1970-01-01',
  time: () => '00:00:00Z',
  email: (s) => stringFor('email', s) || 'unknown@example.invalid',
  uri: (s) => stringFor('url', s) || 'urn:cairn:none',
  url: (s) => stringFor('url', s) || 'urn:cairn:none',
  uuid: () => '00000000-0000-0000-0000-000000000000',
};

function fitString(value: string, schema: JsonSchema): string {
  let s = value;
  if (typeof schema.maxLength === 'number' && [...s].length > schema.maxLength) {
    s = [...s].slice(0, schema.maxLength).join('');
  }
  if (typeof schema.minLength === 'number') {
    while ([...s].length < schema.minLength) s += s.length === 0 ? 'n/a' : '.';
    if (typeof schema.maxLength === 'number')
      s = [...s].slice(0, Math.max(schema.minLength, schema.maxLength)).join('');
  }
  return s;
}

// Synonyms a caller's sentiment enum may use.
const sentimentWords: Record<string, string[]> = {
  positive: ['positive', 'pos', 'good', 'happy', 'favorable', 'favourable', 'up'],
  negative: ['negative', 'neg', 'bad', 'unhappy', 'unfavorable', 'unfavourable', 'down'],
  neutral: ['neutral', 'neu', 'mixed', 'none', 'other'],
};

function chooseEnum(options: unknown[], hint: Hint | undefined, source: ValueSource): unknown {
  const wanted = hint ? stringFor(hint, source).toLowerCase() : '';
  const byText = (candidates: string[]) =>
    options.find((o) => typeof o === 'string' && candidates.includes(o.toLowerCase()));
  const exact = wanted ? byText([wanted]) : undefined;
  if (exact !== undefined) return exact;
  if (hint === 'sentiment') {
    const synonym = byText(sentimentWords[source.analysis.sentiment.label] ?? []);
    if (synonym !== undefined) return synonym;
  }
  const text = source.analysis.text.toLowerCase();
  return (
    options.find((o) => typeof o === 'string' && o.length > 2 && text.includes(o.toLowerCase())) ?? options[0]
  );
}

interface Fill {
  root: JsonSchema;
  source: ValueSource;
  depth: number;
}

function fillArray(schema: JsonSchema, hint: Hint | undefined, ctx: Fill): unknown[] {
  const item = asSchema(schema.items) ?? {};
  const { analysis } = ctx.source;
  const itemType = item.type ?? (item.properties ? 'object' : undefined);
  let values: unknown[];
  if (hint === 'entities' || (itemType === 'object' && hint !== 'topics')) {
    values = analysis.entities.map((entity) =>
      fillValue(item, '', { ...ctx, source: { ...ctx.source, entity }, depth: ctx.depth + 1 }),
    );
  } else if (hint === 'topics' || itemType === 'string') {
    values = analysis.topics.map((topic) =>
      fillValue(item, '', {
        ...ctx,
        source: { ...ctx.source, entity: { name: topic, type: 'other' } },
        depth: ctx.depth + 1,
      }),
    );
  } else {
    values = [];
  }
  if (schema.uniqueItems)
    values = values.filter((v, i) => values.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) === i);
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  for (let i = values.length; i < min; i++)
    values.push(fillValue(item, '', { ...ctx, depth: ctx.depth + 1 }));
  return typeof schema.maxItems === 'number' ? values.slice(0, schema.maxItems) : values;
}

function fillObject(schema: JsonSchema, ctx: Fill): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(asSchema(schema.properties) ?? {})) {
    out[key] = fillValue(child, key, { ...ctx, depth: ctx.depth + 1 });
  }
  return out;
}

function fillValue(raw: unknown, name: string, ctx: Fill): unknown {
  const hint = hintOf(name);
  const schema = asSchema(raw);
  // Bounded: recursive schemas ($ref to itself) stop producing nested values.
  if (!schema || ctx.depth > 12) return hint ? stringFor(hint, ctx.source) : null;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(ctx.root, schema.$ref);
    return target ? fillValue(target, name, ctx) : null;
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return chooseEnum(schema.enum, hint, ctx.source);
  const branches = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) {
    const usable = branches.find((b) => asSchema(b)?.type !== 'null') ?? branches[0];
    return fillValue(usable, name, ctx);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: JsonSchema = { ...schema, allOf: undefined };
    const properties: JsonSchema = { ...asSchema(schema.properties) };
    for (const part of schema.allOf as unknown[]) {
      const p = asSchema(part) ?? {};
      Object.assign(merged, p);
      Object.assign(properties, asSchema(p.properties));
    }
    merged.properties = properties;
    return fillValue(merged, name, ctx);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type =
    types.find((t) => t !== 'null') ?? (schema.properties ? 'object' : schema.items ? 'array' : types[0]);
  switch (type) {
    case 'object':
      return fillObject(schema, ctx);
    case 'array':
      return fillArray(schema, hint, ctx);
    case 'number':
    case 'integer':
      return fitNumber(numberFor(hint, ctx.source, schema), schema, type === 'integer');
    case 'boolean':
      return hint === 'sentiment' ? ctx.source.analysis.sentiment.label === 'positive' : false;
    case 'null':
      return null;
    default: {
      const format = typeof schema.format === 'string' ? formats[schema.format] : undefined;
      return fitString(format ? format(ctx.source) : stringFor(hint, ctx.source), schema);
    }
  }
}

/** A value shaped by `schema`, filled with what the local heuristics found in the text. */
export function valueForSchema(schema: JsonSchema, source: ValueSource, name = ''): unknown {
  return fillValue(schema, name, { root: schema, source, depth: 0 });
}
