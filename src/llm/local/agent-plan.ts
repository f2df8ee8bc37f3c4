/**
 * The offline provider's agent: deterministic, rule-based multi-step tool use over cairn's agent
 * tools (search_documents, calculator, http_request, usage_summary, document_info, delegate).
 * Every response is recomputed from the conversation alone; nothing is remembered between calls.
 * The planner drives a request only when every tool it offers is one of these (tool-selection.ts);
 * a request with other functions keeps the one-call relevance rule of /v1/chat/completions.
 *
 * Rules:
 * 1. The task is the last user message, and it is the only source of intents, URLs, expressions
 *    and numbers to operate with. Tool results and documents are data: a URL, tool name or
 *    instruction inside them never causes a call (they only supply values: a number from a
 *    document, a rate from an HTTP response, a cost from usage).
 * 2. Intents are detected in the task, in the order they appear (URLs, JSON literals, UUIDs and
 *    dates are masked first, so their characters trigger nothing):
 *    - search: search / find / look up / "my documents|notes|docs|files" / "according to";
 *    - http: each http(s) URL (at most 8): GET it; after "post" with a JSON object literal in the
 *      task, POST that object to the first URL that follows;
 *    - usage: usage / spent / spend / "cost so far" / "tokens used";
 *    - document info: "how many documents" / "list my documents" / "document status" /
 *      "which documents";
 *    - calculator: an arithmetic expression in the task, or calculate / compute / multiply /
 *      times / divide / convert / project / percent / sum / total / average;
 *    - delegate: delegate / sub-agent / "ask a helper": the text after the phrase (or before it,
 *      when nothing follows) is the sub-agent's task, and intents inside it are left to it.
 *    Only tools in `request.tools` are planned; an intent whose tool is missing is dropped.
 * 3. Arguments: search query = the task's content words without instruction words, the
 *    arithmetic part (operator words and their numbers: in "multiply the price by 3", "price"
 *    stays) or other intents' phrases (no content words left: no search); http url =
 *    the URL exactly as written; usage days = "last N days" / "last week|month|year" / "today"
 *    in the task, else 30; document_info = a UUID in the task as document_id, a quoted title as
 *    title, else nothing; delegate task = its clause. The calculator gets either an explicit
 *    expression ("(17+4)*3", "12 times 4", "15% of 240"), sent at once, or one derived from tool
 *    results, sent once every other call has its result: "times N" / "multiply it by N" /
 *    "divided by N" / "plus N" / "minus N" / "N percent of it", applied in order to a base taken
 *    from the data intent just before them in the task (the first one otherwise): the number in
 *    the search results nearest to the query's words, the HTTP value whose key best matches the
 *    task, the usage cost, the document total. "convert N XXX to YYY" multiplies N by the YYY
 *    value found (key compared case-insensitively) in an HTTP result; "projected" / "monthly" /
 *    "per month" (or per year) with usage gives cost_usd / days * 30 (or 365). A derived
 *    calculation needs an operation; with no number to start from it is not made.
 * 4. One response = the planned calls not made yet in this turn (a step counts as made once its
 *    tool was called, http_request per URL; the same tool with the same arguments is never called
 *    twice), in intent order, at most 4; call ids are `call_local_<assistant messages>_<index>`,
 *    so the same conversation always gets the same calls. A call answered with invalid_arguments
 *    is retried once, with its arguments corrected to the tool's JSON Schema (agent-facts.ts,
 *    correctArgs: values from the plan or the schema, never from the error's text); any other
 *    failure is not retried and the plan goes on without it.
 * 5. toolChoice 'none' plans nothing; `{name}` calls that tool (with the planned arguments, or
 *    arguments built for it from the task, or filled from its schema); 'required' with nothing
 *    planned falls back to the relevance rule. No tool fits: no call, the extractive answer.
 * 6. Bounds: the first 20,000 characters of the task and of each result text are read; every
 *    pattern is linear in what it reads (test/unit/llm/local-agent-plan.test.ts checks growth).
 * 7. With nothing left to call, composeAnswer writes the answer from the task and the results
 *    only: the calculation ("49 * 12 = 588."), the best sentence of the top search result with
 *    its title and `[chunk <id>]`, the relevant HTTP value, the usage figures, the documents, the
 *    sub-agent's answer, and "<tool> failed (<code>)." for each failure. A turn without tool
 *    results gets the extractive answer from the context (directAnswer).
 */

import type { ChatRequest, JsonSchema, ToolCall, ToolDefinition } from '../llm-client.ts';
import {
  type Args,
  bestSentence,
  callKey,
  clipText,
  correctArgs,
  formatNumber,
  isCalculation,
  type MadeCall,
  numbersNear,
  numberUnderKey,
  prepareArgs,
  rankedLeaves,
  readTurn,
  stem,
  type Turn,
  toNumber,
} from './agent-facts.ts';
import { contextPassages, extractiveAnswer } from './extractive-answer.ts';
import { DEFAULT_SCHEMA_BOUNDS, type SchemaBounds, valueForSchema } from './schema-values.ts';
import { analyseText } from './text-analysis.ts';
import { contentWords, sentences } from './text-features.ts';

const SEARCH = 'search_documents';
const CALCULATOR = 'calculator';
const HTTP = 'http_request';
const USAGE = 'usage_summary';
const DOCUMENTS = 'document_info';
const DELEGATE = 'delegate';

const AGENT_TOOLS = new Set([SEARCH, CALCULATOR, HTTP, USAGE, DOCUMENTS, DELEGATE]);

/** True when every tool offered is one of cairn's agent tools: the planner drives those requests. */
export const offersAgentTools = (request: ChatRequest): boolean =>
  (request.tools?.length ?? 0) > 0 && (request.tools ?? []).every((t) => AGENT_TOOLS.has(t.name));

const MAX_CALLS_PER_RESPONSE = 4;
const MAX_URLS = 8;
// Characters of the task read for intents: the rest of a very long message is ignored.
const TASK_CHARS = 20_000;
// Characters of one tool result text searched for numbers and sentences.
const RESULT_CHARS = 20_000;
const MAX_QUERY_WORDS = 32;
const NO_ANSWER = 'The provided context does not contain the answer.';

// ---- reading the task ----------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
}

interface Step {
  tool: string;
  args: Args;
  at: number;
}

type Operator = '*' | '/' | '+' | '-' | '%';

interface Operation extends Span {
  operator: Operator;
  value: number;
}

/** A calculation on numbers that tool results have to supply first. */
interface DerivedCalculation {
  /** Where the first operation sits: the data intent before it gives the base number. */
  at: number;
  operations: Operation[];
  convert?: { amount?: number; to: string };
  /** Days the usage cost is projected over: 30 for "monthly", 365 for "per year". */
  projection?: number;
}

interface TaskPlan {
  task: string;
  /** Calls that need only the task, in the order their intents appear. */
  steps: Step[];
  /** Where each data intent appears, for picking the base of a derived calculation. */
  sources: { tool: string; at: number }[];
  derived?: DerivedCalculation;
  /** The task's content stems: what numbers, sentences and JSON keys are matched against. */
  asked: Set<string>;
}

// Never starts inside a number: tried at every digit of a long run, the match would be quadratic.
const NUM = String.raw`(?<![\d,.])(\d+(?:,\d{3})*(?:\.\d+)?)`;

const matches = (pattern: RegExp, text: string): (Span & { groups: string[] })[] =>
  Array.from(text.matchAll(pattern), (m) => ({
    start: m.index,
    end: m.index + m[0].length,
    groups: m.slice(1).map((g) => g ?? ''),
  }));

const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;
const inside = (at: number, span: Span | undefined) =>
  span !== undefined && at >= span.start && at < span.end;

/** The text with the spans (possibly overlapping) replaced by spaces, positions kept; linear. */
function blank(text: string, spans: Span[]): string {
  const hidden = new Int32Array(text.length + 1);
  for (const s of spans) {
    const start = Math.max(0, s.start);
    const end = Math.min(text.length, s.end);
    hidden[start] = (hidden[start] ?? 0) + 1;
    hidden[end] = (hidden[end] ?? 0) - 1;
  }
  let out = '';
  let depth = 0;
  let from = 0;
  for (let i = 0; i <= text.length; i++) {
    const was = depth > 0;
    depth += hidden[i] ?? 0;
    if (was !== depth > 0 || i === text.length) {
      out += was ? ' '.repeat(i - from) : text.slice(from, i);
      from = i;
    }
  }
  return out;
}

const URL_PATTERN = /https?:\/\/[^\s"'<>`]+/gi;
const UUID_PATTERN = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const DATE_PATTERN = /\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?)?\b/gi;

function urlsIn(text: string): Span[] {
  return matches(URL_PATTERN, text).map((m) => {
    let end = m.end;
    while (end > m.start && '.,;:!?)]}'.includes(text[end - 1] ?? '')) end--;
    return { start: m.start, end };
  });
}

/** The first JSON object literal in the text (at most 8 candidate braces tried, each scan linear). */
function jsonObjectIn(text: string): (Span & { value: Record<string, unknown> }) | undefined {
  let from = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const start = text.indexOf('{', from);
    if (start < 0) return undefined;
    let depth = 0;
    let quoted = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        try {
          const value: unknown = JSON.parse(text.slice(start, i + 1));
          if (value && typeof value === 'object' && !Array.isArray(value))
            return { start, end: i + 1, value: value as Record<string, unknown> };
        } catch {
          // not JSON: try the next brace
        }
        break;
      }
    }
    from = start + 1;
  }
  return undefined;
}

const DOC_INFO_PATTERN =
  /\b(?:how many (?:\w+ )?documents|list (?:all )?(?:of )?(?:my |the )?documents|documents? status(?:es)?|status of (?:my |the )?documents?|which documents|what documents)\b/gi;
const SEARCH_PATTERN =
  /\b(?:search(?:es|ed|ing)?|find|look(?:ing)? up|lookup|my (?:documents|docs|notes|files)|according to|knowledge base)\b/gi;
const USAGE_PATTERN = /\b(?:usage|spent|spend(?:ing)?|costs? so far|tokens? used|used tokens)\b/gi;
const CALC_PATTERN =
  /\b(?:calculat\w*|comput\w*|multipl\w*|times|divid\w*|convert\w*|project(?:ed|ion)?|percent(?:age)?|sum|total|average|plus|minus|per month|monthly)\b/gi;
// Calculator words that only instruct: removed from a search query (the others may be content).
const CALC_VERBS = /\b(?:calculat\w*|comput\w*|multipl\w*|times|divid\w*|convert\w*|percent(?:age)?)\b/gi;
const DELEGATE_PATTERN = /\b(?:delegat\w*|sub-?agents?|ask a helper)\b/i;
const POST_PATTERN = /\bpost\b/gi;

const OPERATION_PATTERNS: [RegExp, Operator][] = [
  [
    new RegExp(String.raw`\b(?:(?:multipl(?:y|ied)|times)(?:\s+[a-z]+){0,3}?\s+by|times)\s+${NUM}`, 'gi'),
    '*',
  ],
  [new RegExp(String.raw`\bdivid(?:e|ed)(?:\s+[a-z]+){0,3}?\s+by\s+${NUM}`, 'gi'), '/'],
  [new RegExp(String.raw`\b(?:plus|add)\s+${NUM}`, 'gi'), '+'],
  [new RegExp(String.raw`\b(?:minus|subtract)\s+${NUM}`, 'gi'), '-'],
  [new RegExp(String.raw`${NUM}\s*(?:%|percent)\s+of\s+(?:it|that|this|them|the)\b`, 'gi'), '%'],
];
const OPERAND = new RegExp(
  String.raw`\b(?:by|times|plus|add|minus|subtract)\s+${NUM}|${NUM}\s*(?:%|percent)\s+of\b`,
  'gi',
);
const PERCENT_OF = new RegExp(String.raw`${NUM}\s*(?:%|percent)\s+of\s+${NUM}`, 'i');
const CONVERT_PATTERNS = [
  new RegExp(
    String.raw`\bconvert\s+(?:${NUM}\s*)?(?:[a-z]{3}\s+)?(?:[a-z]+\s+){0,3}?(?:to|into|in)\s+([a-z]{3})\b`,
    'i',
  ),
  new RegExp(String.raw`${NUM}\s*[A-Z]{3}\s+(?:to|into|in)\s+([A-Z]{3})\b`),
];
const MONTHLY = /\b(?:per month|a month|each month|monthly|projected|projection|project)\b/i;
const YEARLY = /\b(?:per year|a year|each year|yearly|annual(?:ly)?)\b/i;

const DAY_PATTERNS: [RegExp, (m: string[]) => number][] = [
  [/\b(?:(?:last|past|previous|over|in)\s+)?(\d{1,4})\s+days?\b/i, (m) => Number(m[1])],
  [/\b(?:last|past|this|previous)\s+week\b/i, () => 7],
  [/\b(?:last|past|this|previous)\s+month\b/i, () => 30],
  [/\b(?:last|past|this|previous)\s+year\b/i, () => 365],
  [/\btoday\b/i, () => 1],
];

// Words that say what to do rather than what about: never part of a search query.
const FILLER = new Set(
  `please tell me what's whats much many also then using use used tool tools result results answer give show get
   fetch retrieve download call request number value out them there here about some any all my our we us want
   know need like could would should let check see up documents document docs notes note files file knowledge
   base it they their its via into after before first next finally both and sub-agent helper ask`.split(
    /\s+/,
  ),
);

const parseNum = (text: string | undefined) => toNumber(text ?? '');

/** The explicit arithmetic in the task: "15% of 240", or an expression ("12 times 4" read as 12 * 4). */
function explicitExpression(text: string): (Span & { expression: string }) | undefined {
  const percent = PERCENT_OF.exec(text);
  // Operator words between numbers become operators, padded so positions stay the same.
  const symbolic = text.replace(
    /(\d\s*)(times|multiplied by|divided by|plus|minus|x)(?=\s*[\d(])/gi,
    (_, before: string, word: string) => {
      const symbol =
        { times: '*', x: '*', plus: '+', minus: '-' }[word.toLowerCase()] ?? (/^m/i.test(word) ? '*' : '/');
      return before + symbol.padEnd(word.length);
    },
  );
  const runs = /(?:sqrt|abs|round|min|max|pow|log|exp|[\d.,()+\-*/^%\s])+/gi;
  let found: (Span & { expression: string }) | undefined;
  for (const m of symbolic.matchAll(runs)) {
    const raw = m[0];
    if (/[\p{L}_]/u.test(symbolic[m.index - 1] ?? '') && !/^\s/.test(raw)) continue;
    // A trailing operator or full stop ends the sentence; cut by hand, since /[...]+$/ retried at
    // every position of a long operator run is quadratic.
    let cut = raw.length;
    while (cut > 0 && /[\s.,+*/^%-]/.test(raw[cut - 1] ?? '')) cut--;
    const trimmed = raw.slice(0, cut).trim();
    // Unmatched parentheses at either end belong to the sentence, not the expression.
    let opens = 0;
    let closes = 0;
    for (const c of trimmed) {
      if (c === '(') opens++;
      else if (c === ')') closes++;
    }
    let first = 0;
    let last = trimmed.length;
    while (last > first && trimmed[last - 1] === ')' && closes > opens) {
      last--;
      closes--;
    }
    while (first < last && trimmed[first] === '(' && opens > closes) {
      first++;
      opens--;
    }
    const expression = trimmed
      .slice(first, last)
      .trim()
      .replace(/^[,.*/^%+]+\s*/, '');
    if (!/\d/.test(expression) || !isCalculation(expression.toLowerCase())) continue;
    const start = m.index + raw.indexOf(expression.charAt(0));
    found = { start, end: start + expression.length, expression: expression.replace(/\s+/g, ' ') };
    break;
  }
  if (percent && (!found || percent.index < found.start)) {
    const [a, b] = [parseNum(percent[1]), parseNum(percent[2])];
    if (a !== undefined && b !== undefined)
      return {
        start: percent.index,
        end: percent.index + percent[0].length,
        expression: `${b} * ${a} / 100`,
      };
  }
  return found;
}

function daysIn(text: string): (Span & { days: number }) | undefined {
  for (const [pattern, days] of DAY_PATTERNS) {
    const m = pattern.exec(text);
    if (m) return { start: m.index, end: m.index + m[0].length, days: Math.max(1, days([...m])) };
  }
  return undefined;
}

/** The task's words that say what it is about, in order, without the spans that instruct. */
function contentOf(text: string, remove: Span[]): string[] {
  const kept = blank(text, remove);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const word of kept.match(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu) ?? []) {
    const lower = word.toLowerCase();
    if (seen.has(lower) || FILLER.has(lower) || contentWords(word).length === 0) continue;
    seen.add(lower);
    out.push(word);
    if (out.length >= MAX_QUERY_WORDS) break;
  }
  return out;
}

/** Marks the characters the spans cover (each pattern's matches are disjoint: linear in total). */
function coverage(spans: Span[], length: number): Uint8Array {
  const covered = new Uint8Array(length + 1);
  for (const s of spans) covered.fill(1, s.start, s.end);
  return covered;
}

/** The spans that start outside every one of `others` (a search word inside "list my documents"). */
function outside<T extends Span>(spans: T[], others: Span[], length: number): T[] {
  const covered = coverage(others, length);
  return spans.filter((s) => covered[s.start] !== 1);
}

/** The operator words and numbers inside the operations' spans. */
function operands(text: string, operations: Operation[]): Span[] {
  const covered = coverage(operations, text.length);
  return matches(OPERAND, text).filter((m) => covered[m.start] === 1);
}

/** What the task asks for, as steps to call now and a calculation to make from their results. */
function planTask(fullTask: string, available: ReadonlySet<string>): TaskPlan {
  const task = fullTask.slice(0, TASK_CHARS);
  const urls = urlsIn(task);
  const json = jsonObjectIn(task);
  const uuids = matches(UUID_PATTERN, task);
  const masked = blank(task, [...urls, ...(json ? [json] : []), ...uuids, ...matches(DATE_PATTERN, task)]);

  const docInfo = matches(DOC_INFO_PATTERN, masked);
  const search = outside(matches(SEARCH_PATTERN, masked), docInfo, masked.length);
  const usage = matches(USAGE_PATTERN, masked);
  const calcWords = matches(CALC_PATTERN, masked);

  // A delegated clause is the sub-agent's business: its intents are not planned here.
  const delegateMatch = available.has(DELEGATE) ? DELEGATE_PATTERN.exec(masked) : null;
  let delegated: Span | undefined;
  let delegateTask = '';
  if (delegateMatch) {
    const phrase = { start: delegateMatch.index, end: delegateMatch.index + delegateMatch[0].length };
    const after = task
      .slice(phrase.end)
      .replace(/^(?:[\s:,;-]|\b(?:to|a|an|the|sub-?agents?|helper|and|ask|it|them|this|that|with)\b)+/i, '');
    delegated = after.trim() ? { start: phrase.end, end: task.length } : { start: 0, end: phrase.start };
    delegateTask = (after.trim() ? after : task.slice(0, phrase.start)).trim().slice(0, 4000);
    if (!delegateTask) delegated = undefined;
  }
  const live = <T extends Span>(spans: T[]) => spans.filter((s) => !inside(s.start, delegated));

  const explicit = live([explicitExpression(masked)].filter((e) => e !== undefined))[0];
  const operations = live(
    OPERATION_PATTERNS.flatMap(([pattern, operator]) =>
      matches(pattern, masked).map((m) => ({ ...m, operator, value: parseNum(m.groups[0]) ?? Number.NaN })),
    ),
  )
    .filter((o) => Number.isFinite(o.value) && !(explicit && overlaps(o, explicit)))
    .sort((a, b) => a.start - b.start);
  const convertMatch = CONVERT_PATTERNS.map((p) => p.exec(masked)).find((m) => m !== null);
  const convert =
    convertMatch && !inside(convertMatch.index, delegated)
      ? {
          start: convertMatch.index,
          end: convertMatch.index + convertMatch[0].length,
          amount: parseNum(convertMatch[1]),
          to: (convertMatch[2] ?? '').toUpperCase(),
        }
      : undefined;
  const days = daysIn(masked);
  const hasUsage = live(usage).length > 0 && available.has(USAGE);
  const monthly = MONTHLY.exec(masked);
  const yearly = YEARLY.exec(masked);
  const projectionMatch = hasUsage ? (monthly ?? yearly) : null;
  const projection = projectionMatch && !inside(projectionMatch.index, delegated) ? projectionMatch : null;

  const steps: Step[] = [];
  const sources: { tool: string; at: number }[] = [];
  const add = (tool: string, at: number, args: Args, source = true) => {
    if (!available.has(tool)) return;
    steps.push({ tool, at, args });
    if (source) sources.push({ tool, at });
  };

  const instructing: Span[] = [
    ...search,
    ...docInfo,
    ...usage,
    ...matches(CALC_VERBS, masked),
    // Only an operation's operator and number: in "multiply the price by 3", "price" is content.
    ...operands(masked, operations),
    ...(explicit ? [explicit] : []),
    ...(convert ? [convert] : []),
    ...(projection ? [{ start: projection.index, end: projection.index + projection[0].length }] : []),
    ...(usage.length > 0 && days ? [days] : []),
    ...(delegated ? [delegated] : []),
    ...(delegateMatch
      ? [{ start: delegateMatch.index, end: delegateMatch.index + delegateMatch[0].length }]
      : []),
  ];
  // Dates and ids are content for a query, though they trigger nothing.
  const content = contentOf(blank(task, [...urls, ...(json ? [json] : [])]), instructing);
  const asked = new Set(content.map(stem));

  const firstSearch = live(search)[0];
  if (firstSearch && content.length > 0) add(SEARCH, firstSearch.start, { query: content.join(' ') });

  const posts = matches(POST_PATTERN, masked).filter((p) => !inside(p.start, delegated));
  const postTo = json && posts[0] ? urls.find((u) => u.start > (posts[0]?.start ?? 0)) : undefined;
  for (const url of live(urls).slice(0, MAX_URLS)) {
    const href = task.slice(url.start, url.end);
    add(
      HTTP,
      url.start,
      url === postTo && json ? { url: href, method: 'POST', json: json.value } : { url: href },
    );
  }

  const firstUsage = live(usage)[0];
  if (firstUsage) add(USAGE, firstUsage.start, { days: days?.days ?? 30 });

  const firstDocInfo = live(docInfo)[0];
  if (firstDocInfo) {
    const uuid = live(uuids)[0];
    const title = /["“]([^"”\n]{1,200})["”]/.exec(masked)?.[1]?.trim();
    add(
      DOCUMENTS,
      firstDocInfo.start,
      uuid ? { document_id: task.slice(uuid.start, uuid.end) } : title ? { title } : {},
    );
  }

  if (delegateMatch && delegated) add(DELEGATE, delegateMatch.index, { task: delegateTask }, false);
  if (explicit) add(CALCULATOR, explicit.start, { expression: explicit.expression }, false);
  steps.sort((a, b) => a.at - b.at);
  sources.sort((a, b) => a.at - b.at);

  let derived: DerivedCalculation | undefined;
  const wantsCalculation =
    live(calcWords).length > 0 || operations.length > 0 || convert !== undefined || projection !== null;
  if (!explicit && wantsCalculation && available.has(CALCULATOR)) {
    const at = Math.min(
      operations[0]?.start ?? Number.POSITIVE_INFINITY,
      convert?.start ?? Number.POSITIVE_INFINITY,
      projection?.index ?? Number.POSITIVE_INFINITY,
    );
    const projectionDays = projection ? (projection === yearly ? 365 : 30) : undefined;
    if (operations.length > 0 || convert || projectionDays) {
      derived = {
        at,
        operations,
        ...(convert ? { convert: { amount: convert.amount, to: convert.to } } : {}),
        ...(projectionDays ? { projection: projectionDays } : {}),
      };
    }
  }
  return { task, steps, sources, derived, asked };
}

// ---- deriving a calculation from results ---------------------------------------------------

interface Derivation {
  expression: string;
  /** The search result the base number came from, to cite beside its sentence. */
  cited?: { chunkId: string; title: string; sentence: string };
}

const asRecord = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The successful results of a tool in this turn, latest first. */
const resultsOf = (turn: Turn, tool: string): unknown[] =>
  turn.calls
    .filter((c) => c.call.name === tool && c.outcome?.ok)
    .map((c) => (c.outcome?.ok ? c.outcome.result : undefined))
    .reverse();

interface SearchHit {
  chunk_id: string;
  title: string;
  text: string;
}

function hitsOf(result: unknown): SearchHit[] {
  const list = asRecord(result).results;
  return (Array.isArray(list) ? list : []).slice(0, 10).map((r) => {
    const hit = asRecord(r);
    return {
      chunk_id: String(hit.chunk_id ?? ''),
      title: String(hit.title ?? ''),
      text: String(hit.text ?? '').slice(0, RESULT_CHARS),
    };
  });
}

/** The number in the search results nearest to the asked words (the top result's first otherwise). */
function documentNumber(
  turn: Turn,
  asked: ReadonlySet<string>,
): { value: number; cited: Derivation['cited'] } | undefined {
  let best: { value: number; matched: number; distance: number; cited: Derivation['cited'] } | undefined;
  for (const result of resultsOf(turn, SEARCH).slice(0, 1)) {
    for (const hit of hitsOf(result)) {
      for (const n of numbersNear(hit.text, asked)) {
        const better =
          !best || n.matched > best.matched || (n.matched === best.matched && n.distance < best.distance);
        if (better) best = { ...n, cited: { chunkId: hit.chunk_id, title: hit.title, sentence: n.sentence } };
      }
    }
  }
  return best;
}

const httpBody = (result: unknown) => asRecord(result).body;

function baseFrom(
  tool: string,
  turn: Turn,
  asked: ReadonlySet<string>,
): { value: number; cited?: Derivation['cited'] } | undefined {
  const latest = resultsOf(turn, tool)[0];
  if (latest === undefined) return undefined;
  switch (tool) {
    case SEARCH:
      return documentNumber(turn, asked);
    case HTTP: {
      for (const { leaf } of rankedLeaves(httpBody(latest), asked)) {
        const value = toNumber(leaf.value);
        if (value !== undefined) return { value };
      }
      return undefined;
    }
    case USAGE: {
      const value = toNumber(asRecord(latest).cost_usd);
      return value === undefined ? undefined : { value };
    }
    case DOCUMENTS: {
      const value = toNumber(asRecord(latest).total);
      return value === undefined ? undefined : { value };
    }
    default:
      return undefined;
  }
}

const wrap = (expression: string) => (/[+-]/.test(expression.slice(1)) ? `(${expression})` : expression);

function applyOperations(start: string, operations: Operation[]): string {
  let expression = start;
  for (const { operator, value } of operations) {
    const n = formatNumber(value);
    if (operator === '%') expression = `${wrap(expression)} * ${n} / 100`;
    else if (operator === '*' || operator === '/') expression = `${wrap(expression)} ${operator} ${n}`;
    else expression = `${expression} ${operator} ${n}`;
  }
  return expression;
}

/** The derived calculation's expression, once the results it needs are in; undefined when they are not. */
function derive(plan: TaskPlan, turn: Turn): Derivation | undefined {
  const calc = plan.derived;
  if (!calc) return undefined;
  if (calc.projection) {
    const usage = asRecord(resultsOf(turn, USAGE)[0]);
    const cost = toNumber(usage.cost_usd);
    const days = toNumber(usage.days) ?? toNumber(plan.steps.find((s) => s.tool === USAGE)?.args.days);
    if (cost === undefined || !days) return undefined;
    const start = `${formatNumber(cost)} / ${formatNumber(days)} * ${calc.projection}`;
    return { expression: applyOperations(start, calc.operations) };
  }
  const before = plan.sources.filter((s) => s.at < calc.at).at(-1);
  const ordered = before ? [before, ...plan.sources.filter((s) => s !== before)] : plan.sources;
  const base = (tools: { tool: string }[]) => {
    for (const { tool } of tools) {
      const found = baseFrom(tool, turn, plan.asked);
      if (found) return found;
    }
    return undefined;
  };
  if (calc.convert) {
    let rate: number | undefined;
    for (const result of resultsOf(turn, HTTP)) {
      rate = numberUnderKey(httpBody(result), calc.convert.to);
      if (rate !== undefined) break;
    }
    const amount =
      calc.convert.amount !== undefined
        ? { value: calc.convert.amount, cited: undefined }
        : base(ordered.filter((s) => s.tool !== HTTP));
    if (rate === undefined || !amount) return undefined;
    const start = `${formatNumber(amount.value)} * ${formatNumber(rate)}`;
    return { expression: applyOperations(start, calc.operations), cited: amount.cited };
  }
  const found = base(ordered);
  if (!found) return undefined;
  return { expression: applyOperations(formatNumber(found.value), calc.operations), cited: found.cited };
}

// ---- choosing the next calls ---------------------------------------------------------------

interface Proposal {
  tool: string;
  args: Args;
}

const schemaFor = (tools: ToolDefinition[], name: string): JsonSchema =>
  tools.find((t) => t.name === name)?.parameters ?? {};

/** Corrected retries for calls refused with invalid_arguments (each original retried once). */
function retries(turn: Turn, plan: TaskPlan, tools: ToolDefinition[], bounds: SchemaBounds): Proposal[] {
  const madeKeys = new Set(turn.calls.map((c) => c.key));
  const retryKeys = new Set<string>();
  const out: Proposal[] = [];
  for (const made of turn.calls) {
    const outcome = made.outcome;
    if (!outcome || outcome.ok || outcome.code !== 'invalid_arguments') continue;
    if (retryKeys.has(made.key) || !tools.some((t) => t.name === made.call.name)) continue;
    const name = made.call.name;
    const planned = (
      plan.steps.find((s) => s.tool === name && (name !== HTTP || s.args.url === made.args?.url)) ??
      plan.steps.find((s) => s.tool === name)
    )?.args;
    const args = correctArgs(
      made.args ?? {},
      schemaFor(tools, made.call.name),
      outcome.issues,
      planned,
      plan.task,
      bounds,
    );
    const key = callKey(made.call.name, args);
    retryKeys.add(key);
    if (key === made.key || madeKeys.has(key)) continue;
    out.push({ tool: made.call.name, args });
  }
  return out;
}

/** Arguments for a tool the caller forces, when the task has no intent for it. */
function forcedArgs(tool: string, plan: TaskPlan, turn: Turn): Args | undefined {
  const planned = plan.steps.find(
    (s) => s.tool === tool && !turn.calls.some((c) => c.key === callKey(tool, s.args)),
  );
  if (planned) return planned.args;
  if (tool === CALCULATOR) {
    const derivation = derive(plan, turn);
    return derivation ? { expression: derivation.expression } : undefined;
  }
  const url = urlsIn(plan.task)[0];
  const defaults: Record<string, Args | undefined> = {
    [SEARCH]: { query: contentOf(plan.task, urlsIn(plan.task)).join(' ') || clipText(plan.task, 500) },
    [HTTP]: url ? { url: plan.task.slice(url.start, url.end) } : undefined,
    [USAGE]: { days: daysIn(plan.task)?.days ?? 30 },
    [DOCUMENTS]: {},
    [DELEGATE]: plan.task.trim() ? { task: plan.task.trim().slice(0, 4000) } : undefined,
  };
  return defaults[tool];
}

/**
 * The tool calls the local model makes next for an agent request (module comment, rules 1-6),
 * or null when nothing is left to call and the answer should be written.
 */
export function planToolCalls(
  request: ChatRequest,
  bounds: SchemaBounds = DEFAULT_SCHEMA_BOUNDS,
): ToolCall[] | null {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  if (tools.length === 0 || choice === 'none') return null;
  const turn = readTurn(request);
  const plan = planTask(turn.task, new Set(tools.map((t) => t.name)));
  const prepare = (p: Proposal): Proposal => ({
    tool: p.tool,
    args: prepareArgs(p.args, schemaFor(tools, p.tool), plan.task, bounds),
  });

  let proposals: Proposal[];
  if (typeof choice === 'object') {
    const tool = tools.find((t) => t.name === choice.name);
    if (!tool) return null;
    const args = forcedArgs(tool.name, plan, turn);
    proposals = [
      args
        ? prepare({ tool: tool.name, args })
        : {
            tool: tool.name,
            args: asRecord(valueForSchema(tool.parameters, { analysis: analyseText(plan.task) }, bounds)),
          },
    ];
  } else {
    const made = new Set(turn.calls.map((c) => c.key));
    const fresh = (p: Proposal) => !made.has(callKey(p.tool, p.args));
    // A step is done once its tool was called in this turn (http_request: with its URL), whatever
    // became of the call: a refused one is retried by the rule for retries, not by the plan.
    const attempted = (step: Step) =>
      turn.calls.some(
        (c) => c.call.name === step.tool && (step.tool !== HTTP || c.args?.url === step.args.url),
      );
    const pending = plan.steps.filter((step) => !attempted(step)).map(prepare);
    proposals = [...retries(turn, plan, tools, bounds), ...pending.filter(fresh)];
    // Calls still unanswered are results still to come: nothing that depends on them yet.
    const waiting = turn.calls.some((c) => c.outcome === undefined);
    if (proposals.length === 0 && !waiting) {
      const derivation = derive(plan, turn);
      if (derivation)
        proposals = [prepare({ tool: CALCULATOR, args: { expression: derivation.expression } })].filter(
          fresh,
        );
    }
  }
  const unique = proposals.filter(
    (p, i) => proposals.findIndex((q) => callKey(q.tool, q.args) === callKey(p.tool, p.args)) === i,
  );
  if (unique.length === 0) return null;
  return unique.slice(0, MAX_CALLS_PER_RESPONSE).map((p, i) => ({
    id: `call_local_${turn.assistantCount}_${i}`,
    name: p.tool,
    arguments: JSON.stringify(p.args),
  }));
}

// ---- writing the answer --------------------------------------------------------------------

const lastUser = (request: ChatRequest) =>
  [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** The extractive answer from the system and tool messages: what the local model says without a plan. */
export function directAnswer(request: ChatRequest): string {
  const context = request.messages
    .filter((m) => m.role === 'system' || m.role === 'tool')
    .map((m) => m.content ?? '')
    .join('\n\n');
  const found = extractiveAnswer(lastUser(request), contextPassages(context));
  if (found) return found;
  // After a tool call, relay what the tool returned rather than claiming ignorance.
  const last = request.messages.at(-1);
  return last?.role === 'tool' ? last.content.slice(0, 2000) : NO_ANSWER;
}

const quote = (text: string, max: number) => `"${clipText(text, max).replace(/"/g, "'")}"`;

function searchFact(
  made: MadeCall,
  result: unknown,
  plan: TaskPlan,
  derivation: Derivation | undefined,
): string {
  const hits = hitsOf(result);
  const cited = derivation?.cited;
  const hit = (cited && hits.find((h) => h.chunk_id === cited.chunkId)) || hits[0];
  if (!hit) return `search_documents found nothing for ${quote(String(made.args?.query ?? ''), 100)}.`;
  const sentence =
    cited && cited.chunkId === hit.chunk_id
      ? cited.sentence
      : (bestSentence(hit.text, plan.asked) ?? sentences(hit.text)[0] ?? '');
  return `From ${quote(hit.title, 120)}: ${clipText(sentence, 300)} [chunk ${clipText(hit.chunk_id, 80)}]`;
}

function httpFact(made: MadeCall, result: unknown, plan: TaskPlan): string {
  const response = asRecord(result);
  const url = clipText(String(made.args?.url ?? response.url ?? ''), 200);
  const status = toNumber(response.status);
  if (status !== undefined && status >= 400) return `${url} answered with status ${status}.`;
  const body = response.body;
  const target = plan.derived?.convert?.to;
  const rate = target ? numberUnderKey(body, target) : undefined;
  if (target && rate !== undefined) return `${url} gives ${target} = ${formatNumber(rate)}.`;
  if (typeof body === 'string') {
    const sentence = bestSentence(body.slice(0, RESULT_CHARS), plan.asked) ?? body;
    return `${url} returned: ${quote(sentence, 300)}.`;
  }
  const ranked = rankedLeaves(body, plan.asked);
  const shown = ranked[0] && ranked[0].score > 0 ? ranked.slice(0, 1) : ranked.slice(0, 3);
  if (shown.length === 0) return `${url} answered with status ${status ?? 'unknown'}.`;
  const pairs = shown.map(
    ({ leaf }) => `${clipText(leaf.path.join('.') || 'value', 80)} = ${clipText(String(leaf.value), 120)}`,
  );
  return `${url} returned ${pairs.join(', ')}.`;
}

function usageFact(result: unknown): string {
  const u = asRecord(result);
  const n = (key: string) => toNumber(u[key]);
  const parts = [
    n('requests') !== undefined ? `${n('requests')} requests` : undefined,
    n('calls') !== undefined ? `${n('calls')} model calls` : undefined,
    n('tokens_in') !== undefined ? `${n('tokens_in')} input tokens` : undefined,
    n('tokens_out') !== undefined ? `${n('tokens_out')} output tokens` : undefined,
    n('cost_usd') !== undefined ? `$${formatNumber(n('cost_usd') ?? 0)} spent` : undefined,
  ].filter(Boolean);
  const days = n('days');
  return `Usage${days !== undefined ? ` over the last ${days} days` : ''}: ${parts.join(', ') || 'nothing recorded'}.`;
}

function documentsFact(result: unknown): string {
  const r = asRecord(result);
  const docs = Array.isArray(r.documents) ? r.documents.map(asRecord) : [];
  const total = toNumber(r.total) ?? docs.length;
  if (total === 0) return 'No documents found.';
  const listed = docs
    .slice(0, 5)
    .map(
      (d) =>
        `${quote(String(d.title ?? 'untitled'), 80)} (${clipText(String(d.status ?? 'unknown'), 20)}${toNumber(d.chunks) !== undefined ? `, ${d.chunks} chunks` : ''})`,
    );
  return `${total} document${total === 1 ? '' : 's'}${listed.length > 0 ? `: ${listed.join(', ')}` : ''}${docs.length > 5 ? ', …' : ''}.`;
}

/**
 * The final answer of an agent request (module comment, rule 7): written only from the task and
 * the tool results of this turn, naming each failed tool; the extractive answer when no tool ran.
 */
export function composeAnswer(request: ChatRequest): string {
  const turn = readTurn(request);
  const answered = turn.calls.filter((c) => c.outcome !== undefined);
  if (answered.length === 0) return directAnswer(request);
  const available = new Set([
    ...(request.tools ?? []).map((t) => t.name),
    ...turn.calls.map((c) => c.call.name),
  ]);
  const plan = planTask(turn.task, available);
  const derivation = derive(plan, turn);
  const calculations: string[] = [];
  const facts: string[] = [];
  const failures: string[] = [];
  const lastCallOf = new Map(answered.map((made, index) => [made.call.name, index]));
  answered.forEach((made, index) => {
    const outcome = made.outcome;
    const name = clipText(made.call.name, 64);
    if (!outcome) return;
    if (!outcome.ok) {
      // A refused call followed by a corrected one is reported by the corrected one.
      const retried =
        outcome.code === 'invalid_arguments' && (lastCallOf.get(made.call.name) ?? index) > index;
      if (!retried) failures.push(`${name} failed (${outcome.code}).`);
      return;
    }
    const result = outcome.result;
    switch (made.call.name) {
      case CALCULATOR: {
        const value = toNumber(asRecord(result).result);
        const expression = String(made.args?.expression ?? asRecord(result).expression ?? '');
        if (value !== undefined) calculations.push(`${clipText(expression, 200)} = ${formatNumber(value)}.`);
        break;
      }
      case SEARCH:
        facts.push(searchFact(made, result, plan, derivation));
        break;
      case HTTP:
        facts.push(httpFact(made, result, plan));
        break;
      case USAGE:
        facts.push(usageFact(result));
        break;
      case DOCUMENTS:
        facts.push(documentsFact(result));
        break;
      case DELEGATE:
        facts.push(`The sub-agent answered: ${clipText(String(asRecord(result).answer ?? ''), 500)}`);
        break;
      default:
        facts.push(
          `${name} returned: ${clipText(typeof result === 'string' ? result : JSON.stringify(result), 300)}`,
        );
    }
  });
  const calculated = turn.calls.some((c) => c.call.name === CALCULATOR);
  if (plan.derived && !calculated)
    facts.push('The calculation was not made: no tool returned the number it needs.');
  const lines = [...calculations, ...facts, ...failures].filter((line, i, all) => all.indexOf(line) === i);
  return lines.length > 0 ? lines.join(' ') : directAnswer(request);
}
