// What the offline agent planner (agent-plan.ts) reads: the calls already made in this turn and
// their JSON envelopes, numbers and values inside tool results, the shape of an arithmetic
// expression, and arguments corrected to a tool's JSON Schema. Everything here is bounded by the
// size of its input and never evaluates or follows anything a tool returned.

import { dataBlockText } from '../../security/spotlight.ts';
import type { ChatRequest, JsonSchema, ToolCall } from '../llm-client.ts';
import { DEFAULT_SCHEMA_BOUNDS, type SchemaBounds, valueForSchema } from './schema-values.ts';
import { analyseText } from './text-analysis.ts';
import { sentences } from './text-features.ts';

export type Args = Record<string, unknown>;

export interface Issue {
  path: string;
  message: string;
}

/**
 * A tool message as the agent loop writes it (a <tool_result> element around a JSON envelope, or
 * the bare envelope); plain text counts as a successful result.
 */
export type Envelope = { ok: true; result: unknown } | { ok: false; code: string; issues: Issue[] };

/** One call made since the task was given, with what came back for it. */
export interface MadeCall {
  call: ToolCall;
  /** The parsed arguments; undefined when they were not a JSON object. */
  args: Args | undefined;
  key: string;
  outcome: Envelope | undefined;
}

export interface Turn {
  /** The last user message: the only source of intents, URLs and expressions. */
  task: string;
  calls: MadeCall[];
  /** Assistant messages in the whole conversation, so call ids never repeat. */
  assistantCount: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON with object keys sorted: two calls with the same arguments get the same key. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const callKey = (name: string, args: unknown) => `${name} ${canonical(args)}`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const ERROR_CODE = /^[a-z_]{1,40}$/;

function envelopeOf(message: string): Envelope {
  const content = dataBlockText('tool_result', message) ?? message;
  const parsed = parseJson(content);
  if (isObject(parsed) && parsed.ok === true) return { ok: true, result: parsed.result };
  if (isObject(parsed) && parsed.ok === false) {
    const error = isObject(parsed.error) ? parsed.error : {};
    const code = typeof error.code === 'string' && ERROR_CODE.test(error.code) ? error.code : 'failed';
    const issues = (Array.isArray(error.issues) ? error.issues : [])
      .slice(0, 20)
      .filter(isObject)
      .map((i) => ({ path: String(i.path ?? ''), message: String(i.message ?? '') }));
    return { ok: false, code, issues };
  }
  return { ok: true, result: content };
}

/** The task and the calls made (with their outcomes) after the last user message. */
export function readTurn(request: ChatRequest): Turn {
  const messages = request.messages;
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role !== 'user') start--;
  const task = start > 0 ? (messages[start - 1]?.content ?? '') : '';
  const outcomes = new Map<string, Envelope>();
  for (const m of messages.slice(start))
    if (m.role === 'tool') outcomes.set(m.toolCallId, envelopeOf(m.content));
  const calls: MadeCall[] = [];
  for (const m of messages.slice(start)) {
    if (m.role !== 'assistant') continue;
    for (const call of m.toolCalls ?? []) {
      const parsed = parseJson(call.arguments || '{}');
      const args = isObject(parsed) ? parsed : undefined;
      calls.push({
        call,
        args,
        key: callKey(call.name, args ?? call.arguments),
        outcome: outcomes.get(call.id),
      });
    }
  }
  const assistantCount = messages.filter((m) => m.role === 'assistant').length;
  return { task: start > 0 ? task : '', calls, assistantCount };
}

// ---- numbers and words -------------------------------------------------------------------

/** A number as written ("1,200.50" becomes 1200.5), or undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*-?\d[\d,]*(?:\.\d+)?\s*$/.test(value)) return undefined;
  const n = Number(value.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** A number written for an expression or an answer: no exponent, at most 10 decimals. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const fixed = n.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/**
 * Crude stemming: a possessive or plural "s" dropped, then the first five letters, so "prices"
 * meets "price", "costs" meets "cost" and "nights" meets "night" ("status", "business" keep theirs).
 */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.endsWith("'s")) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  return w.slice(0, 5);
}

const tokenPattern = /\d+(?:,\d{3})*(?:\.\d+)?|\p{L}[\p{L}\p{N}'_-]*/gu;

/** Where a number sits in a text: the sentence around it, and how close it is to the asked words. */
export interface FoundNumber {
  value: number;
  sentence: string;
  /** Distinct asked words in the sentence, the title's words (`exclude`) left out. */
  matched: number;
  /** Distinct asked words in the sentence, the title's words included. */
  matchedAll: number;
  /** Tokens between the number and the nearest asked word. */
  distance: number;
  /** Written as a percentage ("12%", "12 percent"). */
  percent: boolean;
  /** The stem of the word right after it ("30 days": "day"), what it counts; "" when none. */
  unit: string;
}

const PERCENT_AFTER = /^\s?(?:%|percent\b|per cent\b)/i;

/**
 * Each number in `text` scored by the asked word stems around it (text bounded by the caller).
 * Stems in `exclude` (the words of the document's title) say which document, not which sentence:
 * they count in `matchedAll` only.
 */
export function numbersNear(
  text: string,
  asked: ReadonlySet<string>,
  exclude: ReadonlySet<string> = new Set(),
): FoundNumber[] {
  const found: FoundNumber[] = [];
  for (const sentence of sentences(text)) {
    const hits: number[] = [];
    const distinct = new Set<string>();
    const numbers: { index: number; value: number; percent: boolean; unit: string }[] = [];
    let index = 0;
    for (const m of sentence.matchAll(tokenPattern)) {
      const token = m[0];
      const n = toNumber(token);
      const previous = numbers.at(-1);
      if (previous && previous.index === index - 1 && n === undefined) previous.unit = stem(token);
      if (n !== undefined) {
        const after = sentence.slice(m.index + token.length, m.index + token.length + 10);
        numbers.push({ index, value: n, percent: PERCENT_AFTER.test(after), unit: '' });
      } else if (asked.has(stem(token))) {
        hits.push(index);
        distinct.add(stem(token));
      }
      index++;
    }
    let matched = 0;
    for (const s of distinct) if (!exclude.has(s)) matched++;
    // Hits and numbers are both in token order: one merge finds each number's nearest hit.
    let h = 0;
    for (const { index: at, value, percent, unit } of numbers) {
      while (h + 1 < hits.length && (hits[h + 1] ?? 0) < at) h++;
      const around = [hits[h], hits[h + 1]].filter((x): x is number => x !== undefined);
      const distance = Math.min(Number.POSITIVE_INFINITY, ...around.map((x) => Math.abs(x - at)));
      found.push({ value, sentence, matched, matchedAll: distinct.size, distance, percent, unit });
    }
  }
  return found;
}

/** A sentence with how many asked stems it shares: outside the title first, then in all. */
export interface ScoredSentence {
  sentence: string;
  matched: number;
  matchedAll: number;
}

/** True when `a` shares more asked words than `b` (the title's words only break a tie). */
export const betterSentence = (a: ScoredSentence, b: ScoredSentence | undefined) =>
  !b || a.matched > b.matched || (a.matched === b.matched && a.matchedAll > b.matchedAll);

/**
 * The sentence of `text` sharing the most asked stems, the title's (`exclude`) counting only on a
 * tie; the first on a full tie; undefined when none shares any.
 */
export function scoredSentence(
  text: string,
  asked: ReadonlySet<string>,
  exclude: ReadonlySet<string> = new Set(),
): ScoredSentence | undefined {
  let best: ScoredSentence | undefined;
  for (const sentence of sentences(text)) {
    const stems = new Set((sentence.match(tokenPattern) ?? []).map(stem));
    let matched = 0;
    let matchedAll = 0;
    for (const s of asked) {
      if (!stems.has(s)) continue;
      matchedAll++;
      if (!exclude.has(s)) matched++;
    }
    const scored = { sentence, matched, matchedAll };
    if (matchedAll > 0 && betterSentence(scored, best)) best = scored;
  }
  return best;
}

/** The first percentage ("12%") in a sentence of `text` holding a word with stem `wordStem`. */
export function percentNear(text: string, wordStem: string): number | undefined {
  for (const sentence of sentences(text)) {
    const tokens = Array.from(sentence.matchAll(tokenPattern));
    if (!tokens.some((m) => stem(m[0]) === wordStem)) continue;
    for (const m of tokens) {
      const n = toNumber(m[0]);
      const after = sentence.slice(m.index + m[0].length, m.index + m[0].length + 10);
      if (n !== undefined && PERCENT_AFTER.test(after)) return n;
    }
  }
  return undefined;
}

/** The stems of a text's words (a document title's, say). */
export const stemsOf = (text: string) => new Set((text.match(tokenPattern) ?? []).map(stem));

/** At most `max` characters, cut at a word when possible. */
export function clipText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

// ---- JSON values in tool results ---------------------------------------------------------

export interface Leaf {
  path: string[];
  value: string | number | boolean | null;
}

const MAX_LEAVES = 500;
const MAX_LEAF_DEPTH = 8;

/** The scalar values inside a JSON value, depth-first, bounded in depth and count. */
function leaves(value: unknown): Leaf[] {
  const out: Leaf[] = [];
  const walk = (node: unknown, path: string[]) => {
    if (out.length >= MAX_LEAVES) return;
    if (node === null || ['string', 'number', 'boolean'].includes(typeof node)) {
      out.push({ path, value: node as Leaf['value'] });
    } else if (path.length < MAX_LEAF_DEPTH && Array.isArray(node)) {
      for (let i = 0; i < node.length && out.length < MAX_LEAVES; i++) walk(node[i], [...path, String(i)]);
    } else if (path.length < MAX_LEAF_DEPTH && isObject(node)) {
      for (const k in node) {
        if (out.length >= MAX_LEAVES) break;
        walk(node[k], [...path, k]);
      }
    }
  };
  walk(value, []);
  return out;
}

/** The words of a leaf's path ("tokens_in" and "tokensIn" both give "tokens", "in"). */
const pathStems = (path: string[]) =>
  path
    .flatMap((p) => p.replace(/([a-z])([A-Z])/g, '$1 $2').split(/[^\p{L}\p{N}]+/u))
    .filter(Boolean)
    .map(stem);

/** The first number under a key named `key`, compared case-insensitively ({rates:{EUR:0.92}}). */
export function numberUnderKey(value: unknown, key: string): number | undefined {
  const wanted = key.toLowerCase();
  for (const leaf of leaves(value)) {
    if (leaf.path.at(-1)?.toLowerCase() !== wanted) continue;
    const n = toNumber(leaf.value);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** The leaves whose path shares the most asked stems, best first (document order on a tie). */
export function rankedLeaves(value: unknown, asked: ReadonlySet<string>): { leaf: Leaf; score: number }[] {
  return leaves(value)
    .map((leaf, index) => {
      const stems = new Set(pathStems(leaf.path));
      let score = 0;
      for (const s of asked) if (stems.has(s)) score++;
      return { leaf, score, index };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

// ---- arithmetic expressions --------------------------------------------------------------

const FUNCTIONS = new Set(['sqrt', 'cbrt', 'abs', 'round', 'min', 'max', 'pow', 'log', 'exp']);
const BINARY = new Set(['+', '-', '*', '/', '^', '%']);
const MAX_NESTING = 64;

/**
 * Whether `text` is an arithmetic expression the calculator accepts (+ - * / ^ % parentheses and
 * its functions) with at least one operation in it: "12" alone is a number, not a calculation.
 * Only its shape is checked; the calculator tool computes it.
 */
export function isCalculation(text: string): boolean {
  const tokens: string[] = [];
  const token = /\s*(\d+(?:\.\d+)?|\.\d+|[a-z]+|[-+*/^%(),])/y;
  let position = 0;
  while (position < text.length) {
    token.lastIndex = position;
    const m = token.exec(text);
    if (!m) return /^\s*$/.test(text.slice(position));
    tokens.push(m[1] ?? '');
    position = token.lastIndex;
  }
  let i = 0;
  let operations = 0;
  const peek = () => tokens[i];
  const isNumber = (t: string | undefined) => t !== undefined && /^[\d.]/.test(t);
  const expr = (depth: number): boolean => {
    if (depth > MAX_NESTING || !unary(depth)) return false;
    while (BINARY.has(peek() ?? '')) {
      i++;
      operations++;
      if (!unary(depth)) return false;
    }
    return true;
  };
  const unary = (depth: number): boolean => {
    while (peek() === '-' || peek() === '+') i++;
    const t = peek();
    if (isNumber(t)) {
      i++;
      return true;
    }
    if (t === '(') {
      i++;
      if (!expr(depth + 1) || peek() !== ')') return false;
      i++;
      return true;
    }
    if (t !== undefined && FUNCTIONS.has(t) && tokens[i + 1] === '(') {
      i += 2;
      operations++;
      if (!expr(depth + 1)) return false;
      while (peek() === ',') {
        i++;
        if (!expr(depth + 1)) return false;
      }
      if (peek() !== ')') return false;
      i++;
      return true;
    }
    return false;
  };
  return tokens.length > 0 && expr(0) && i === tokens.length && operations > 0;
}

// ---- arguments and JSON Schema -----------------------------------------------------------

const schemaOf = (value: unknown): JsonSchema => (isObject(value) ? value : {});

const propertiesOf = (schema: JsonSchema): Record<string, JsonSchema> => {
  const props = isObject(schema.properties) ? schema.properties : {};
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, schemaOf(v)]));
};

const requiredOf = (schema: JsonSchema): string[] =>
  Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];

const typesOf = (schema: JsonSchema): string[] =>
  Array.isArray(schema.type) ? schema.type.map(String) : typeof schema.type === 'string' ? [schema.type] : [];

/** A schema-valid value for property `key`, named so the filler can use the task (a "query" gets it). */
function fillProperty(key: string, schema: JsonSchema, task: string, bounds: SchemaBounds): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const wrapper = { type: 'object', properties: { [key]: schema }, required: [key] };
  const filled = valueForSchema(wrapper, { analysis: analyseText(task.slice(0, 10_000)) }, bounds);
  return isObject(filled) ? filled[key] : undefined;
}

function fitNumber(n: number, schema: JsonSchema, integer: boolean): number {
  let value = integer ? Math.round(n) : n;
  const unit = integer ? 1 : 1e-6;
  if (typeof schema.minimum === 'number' && value < schema.minimum) value = schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
    value = schema.exclusiveMinimum + unit;
  if (typeof schema.maximum === 'number' && value > schema.maximum) value = schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
    value = schema.exclusiveMaximum - unit;
  return integer ? Math.round(value) : value;
}

/** `value` coerced to `schema`: a string number to a number, a number to a string, clamped, cut. */
function conform(value: unknown, schema: JsonSchema, depth = 0): unknown {
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    if (schema.enum.includes(value)) return value;
    const lower = String(value).toLowerCase();
    return schema.enum.find((o) => typeof o === 'string' && o.toLowerCase() === lower) ?? schema.enum[0];
  }
  const types = typesOf(schema);
  if (types.length === 0 || depth > 8) return value;
  const kind = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  const own = kind(value);
  const target =
    types.find((t) => t === own || (t === 'number' && own === 'integer')) ??
    types.find((t) => t !== 'null') ??
    types[0];
  switch (target) {
    case 'integer':
    case 'number': {
      const n = typeof value === 'boolean' ? Number(value) : toNumber(value);
      return n === undefined ? value : fitNumber(n, schema, target === 'integer');
    }
    case 'string': {
      const text =
        typeof value === 'string'
          ? value
          : isObject(value) || Array.isArray(value)
            ? JSON.stringify(value)
            : String(value);
      return typeof schema.maxLength === 'number'
        ? Array.from(text).slice(0, schema.maxLength).join('')
        : text;
    }
    case 'boolean':
      return value === 'true' || value === 1 ? true : value === 'false' || value === 0 ? false : value;
    case 'array': {
      const items = (Array.isArray(value) ? value : [value]).map((v) =>
        conform(v, schemaOf(schema.items), depth + 1),
      );
      return typeof schema.maxItems === 'number' ? items.slice(0, schema.maxItems) : items;
    }
    case 'object':
      return isObject(value)
        ? conformObject(
            value,
            schema,
            [],
            (key, sub) => fillProperty(key, sub, '', DEFAULT_SCHEMA_BOUNDS),
            depth + 1,
          )
        : value;
    default:
      return value;
  }
}

/** `args` conformed to an object schema; `fill` gives a value for a required property missing or refused. */
function conformObject(
  args: Args,
  schema: JsonSchema,
  issues: Issue[],
  fill: (key: string, schema: JsonSchema) => unknown,
  depth: number,
): Args {
  const props = propertiesOf(schema);
  const known = (key: string) => Object.hasOwn(props, key);
  const closed = schema.additionalProperties === false || issues.some((i) => /^\/?$/.test(i.path));
  const out: Args = {};
  for (const [key, value] of Object.entries(args)) {
    if (known(key)) out[key] = conform(value, props[key] ?? {}, depth);
    else if (!closed && !issues.some((i) => i.path.split('/')[1] === key)) out[key] = value;
  }
  // A property an issue names that coercion left as it was: refilled when required, dropped when not.
  for (const issue of issues) {
    const key = (issue.path.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
    if (!known(key) || canonical(out[key]) !== canonical(args[key])) continue;
    if (requiredOf(schema).includes(key)) out[key] = fill(key, props[key] ?? {});
    else delete out[key];
  }
  for (const key of requiredOf(schema)) {
    if (out[key] === undefined && known(key)) out[key] = fill(key, props[key] ?? {});
  }
  return out;
}

/**
 * The planner's arguments made fit to send: properties the schema does not declare dropped when
 * it is closed, required ones it did not set filled. Values it chose are kept as the task said them.
 */
export function prepareArgs(args: Args, schema: JsonSchema, task: string, bounds: SchemaBounds): Args {
  const props = propertiesOf(schema);
  const out: Args = {};
  for (const [key, value] of Object.entries(args)) {
    if (Object.hasOwn(props, key) || schema.additionalProperties !== false) out[key] = value;
  }
  for (const key of requiredOf(schema)) {
    if (out[key] === undefined && Object.hasOwn(props, key))
      out[key] = fillProperty(key, props[key] ?? {}, task, bounds);
  }
  return out;
}

/**
 * Arguments corrected after an invalid_arguments error: missing required properties filled (from
 * what the planner would send, else from the schema), values coerced and clamped to their schema,
 * unknown properties dropped. The issues only point at properties; their messages are never read.
 */
export function correctArgs(
  args: Args,
  schema: JsonSchema,
  issues: Issue[],
  planned: Args | undefined,
  task: string,
  bounds: SchemaBounds,
): Args {
  const fill = (key: string, sub: JsonSchema) =>
    planned?.[key] !== undefined ? conform(planned[key], sub) : fillProperty(key, sub, task, bounds);
  return conformObject(args, schema, issues, fill, 0);
}
