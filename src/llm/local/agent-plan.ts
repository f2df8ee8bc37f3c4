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
 *    - search: search / find / look up / "according to" / a reference to the user's own texts
 *      ("my vendor notes", "in the price list", "per the travel policy": according to|based on|
 *      in|from|per|under|using + the, then at most 3 words and a kind of text: notes, documents,
 *      files, policy, handbook, manual, guide(lines), price list, contract, memo, wiki,
 *      documentation, catalogue, inventory, spreadsheet, FAQ, knowledge base; or my|our, at most
 *      3 words and one of those or report, records, minutes, presentation, slides; the
 *      preposition is no query word);
 *      and, when the task has no other intent (no URL, usage, document info, delegation,
 *      explicit arithmetic or currency conversion), a question about particulars: a sentence
 *      ending in "?" or opening with a question word or "tell|give|show me". Questions that ask
 *      for a definition or an explanation ("what is a…", "what does … mean", "why…" without a
 *      name, "define", "explain", "can you…") and small talk are not searched;
 *    - http: each http(s) URL (at most 8): GET it; after "post" with a JSON object literal in the
 *      task, POST that object to the first URL that follows;
 *    - usage: usage / spent / spend / "cost so far" / "tokens used";
 *    - document info: "how many documents|files|chunks" / "list my documents" / "document
 *      status" / "which documents" / "title|size of the document" / "chunk count" / "most
 *      recently uploaded" / "newest|latest document" (a reference to "my documents" then names
 *      the documents, and is no search);
 *    - calculator: an arithmetic expression in the task, worded ones included (rule 3), or
 *      calculate / compute / multiply / times / divide / convert / project / percent / sum /
 *      total / average;
 *    - delegate: delegate / sub-agent / "ask a helper": the text after the phrase (or before it,
 *      when nothing follows) is the sub-agent's task, and intents inside it are left to it.
 *    Only tools in `request.tools` are planned; an intent whose tool is missing is dropped.
 * 3. Arguments: search query = the task's content words without instruction words, the
 *    arithmetic part (operator words and their numbers: in "multiply the price by 3", "price"
 *    stays) or other intents' phrases (no content words left: no search); http url =
 *    the URL exactly as written; usage days = the window in the task ("last N days|weeks|months",
 *    "last week|month|year", "today"; a span after last|past|previous comes first), else 30;
 *    document_info = a UUID in the task as document_id, else a title: quoted, after
 *    "titled|named|called", or the words between my|the and "document|file" ("my Project Atlas
 *    document"; when that guessed title matches nothing, document_info is called once more
 *    without it), else nothing; delegate task = its clause.
 *    The calculator gets either an explicit expression, sent at once, or one derived from tool
 *    results, sent once every other call has its result.
 *    Explicit: "(17+4)*3", "12 times 4", "15% of 240", "2 to the power of 10", "7 squared",
 *    "square|cube root of N" (sqrt, cbrt), "average|mean|sum|total|product of N, N and N",
 *    "split|divide|share N … among|between|across|by K" (N / K), "N for K people" when the task
 *    asks per person|each (N / K), "N at R% … for|after|over Y years" (compound interest:
 *    N * (1 + R / 100) ^ Y; "compounded monthly|quarterly|daily|weekly" divides the rate and
 *    multiplies the periods; "simple interest": N * (1 + R / 100 * Y)), and "N after|with|less|
 *    plus|including P% discount|tax|…" (N * (1 ∓ P / 100)).
 *    Derived: "times N" / "multiply it by N" / "divided by N" / "plus N" / "minus N" / "N percent
 *    of it", applied in order to a base taken from the data intent just before them in the task
 *    (the first one otherwise): the number in the search results nearest to the query's words
 *    (the words of a result's title count only on a tie: they say which document, not which
 *    sentence), the HTTP value whose key best matches the task, the usage cost, the document
 *    total. With a search and a task asking for an amount (cost, price, pay, total, reimburse,
 *    allowance, fee, charge, worth, spend, amount, budget, bill, "how much"), each other number
 *    the task gives before a word ("4 of them", "a 6-day trip", "25 users"; not a percentage, an
 *    amount of money, a time, a year, a condition such as "over 500 units" or a label such as
 *    "page 5") is a quantity: the base is multiplied by it, and a document number followed by the
 *    quantity's unit ("within 30 days" for "a 6-day trip") is no base. In a task asking for an
 *    amount or "how many", "together" / "combined" / "altogether" / "in total" / "in all" with a
 *    search add up the numbers of the sentences that match the query best (one per sentence),
 *    and "after|with|less|plus|including [the] … discount|rebate|reduction|markdown|off|tax|VAT|
 *    surcharge|markup|tip|commission" applies a percentage last: the one in the task, else the
 *    first "N%" in a search result's sentence naming that word (a percentage is then never the
 *    base; none found: the answer says so). "convert N XXX to YYY" /
 *    "N XXX [is] in YYY" / "how many|much YYY is N XXX" multiplies N by the YYY value found (key
 *    compared case-insensitively) in an HTTP result; with usage, "projected" / "monthly" / "per
 *    month" / "per year" / "at that rate", "would", "forecast" with a second period ("what would
 *    30 days cost", "a full year of 365 days") gives cost_usd / days * the period's days (a
 *    stated period first, then a yearly word, 365, then a monthly one, 30). A derived
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
 *    planned falls back to the relevance rule. No tool fits: no call, and the answer of rule 8.
 * 6. Bounds: the first 20,000 characters of the task and of each result text are read; every
 *    pattern is linear in what it reads (test/unit/llm/local-agent-plan.test.ts checks growth).
 * 7. With nothing left to call, composeAnswer writes the answer from the task and the results
 *    only: the calculation ("49 * 12 = 588."), the search result sentence sharing the most query
 *    words (title words only breaking ties; the earlier result on a tie) with its title and
 *    `[chunk <id>]`, the relevant HTTP value, the usage figures, the documents (the newest one
 *    when the task asks for it), the sub-agent's answer, and "<tool> failed (<code>)." for each
 *    failure.
 * 8. A turn without tool results never claims a context it does not have. It answers, in this
 *    order: with the text the task asks to be echoed ("reply with …: X", "say \"X\"", "say hello
 *    back"); with the task's first-person statements restated ("my order number is 5" becomes
 *    "Your order number is 5.") when it asks to confirm or repeat them; from the system and tool
 *    messages when a sentence there shares at least half of the task's content words (and two,
 *    unless the task has one); else briefly, saying what the offered tools can do (after
 *    "Hello!" for a greeting, "You're welcome!" for thanks).
 */

import { detectInjection } from '../../security/injection-detector.ts';
import type { ChatRequest, JsonSchema, ToolCall, ToolDefinition } from '../llm-client.ts';
import {
  type Args,
  betterSentence,
  callKey,
  clipText,
  correctArgs,
  formatNumber,
  isCalculation,
  type MadeCall,
  numbersNear,
  numberUnderKey,
  percentNear,
  prepareArgs,
  rankedLeaves,
  readTurn,
  type ScoredSentence,
  scoredSentence,
  stem,
  stemsOf,
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
const MAX_QUANTITIES = 3;
// Numbers of the search results added up for "together": one per best-matching sentence.
const MAX_SUMMED = 10;

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
  /** A quantity's unit, stemmed ("6-day trip": "day"): a document number counting the same is no base. */
  unit?: string;
}

/** A percentage applied last: a discount (-1) or a tax (+1), from the task or a search result. */
interface Adjustment extends Span {
  sign: 1 | -1;
  /** The percentage the task states; else looked up in the search results near `word`. */
  percent?: number;
  /** The stem of the word naming it ("disco"), looked for in the search results. */
  word: string;
  label: string;
}

/** A calculation on numbers that tool results have to supply first. */
interface DerivedCalculation {
  /** Where the first operation sits: the data intent before it gives the base number. */
  at: number;
  operations: Operation[];
  convert?: { amount?: number; to: string };
  /** Days the usage cost is projected over: 30 for "monthly", 365 for "per year". */
  projection?: number;
  /** Add up the numbers of the best-matching search sentences ("together"). */
  sum?: boolean;
  adjust?: Adjustment;
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
  /** The task asks for the most recently uploaded document. */
  newest: boolean;
  /** document_info got a title read from "my … document": when it matches nothing, list all. */
  guessedTitle: boolean;
}

// Never starts inside a number: tried at every digit of a long run, the match would be quadratic.
const NUM = String.raw`(?<![\d,.])(\d+(?:,\d{3})*(?:\.\d+)?)`;
const NUMBER = String.raw`(?<![\d,.])\d+(?:,\d{3})*(?:\.\d+)?`;
const MONEY = String.raw`(?:[$€£]\s?)?`;

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

const NEWEST_PHRASE = String.raw`(?:most recent(?:ly)?|newest|latest|last)\s+(?:uploaded\s+|added\s+)?(?:documents?|docs?|files?|uploads?)|(?:uploaded|added)\s+(?:most recently|last|latest)`;
const NEWEST = new RegExp(String.raw`\b(?:${NEWEST_PHRASE})\b`, 'i');
const DOC_INFO_PATTERN = new RegExp(
  String.raw`\b(?:how many (?:\w+ )?(?:documents|files|uploads|chunks)|(?:number|count) of (?:my |the )?(?:documents|files|chunks)|chunk counts?|list (?:all )?(?:of )?(?:my |the )?documents|documents? status(?:es)?|status of (?:my |the )?documents?|(?:title|name|size|type|upload date) of (?:my |the )?(?:\w+ )?(?:documents?|files?)|which documents|what documents|${NEWEST_PHRASE})\b`,
  'gi',
);
const SEARCH_PATTERN =
  /\b(?:search(?:es|ed|ing)?|find|look(?:ing)? up|lookup|according to|knowledge base)\b/gi;
// The kinds of text a user keeps: "my vendor notes", "the travel policy", "the price list".
const TEXT_KINDS = String.raw`(?:notes|documents?|docs|files?|polic(?:y|ies)|handbooks?|manuals?|guides?|guidelines|price\s?lists?|contracts?|memos?|wiki|documentation|catalog(?:ue)?s?|inventory|inventories|spreadsheets?|faqs?|knowledge\s+base)`;
// With my|our the kinds a user's own texts may also be: "my quarterly report", "our meeting records".
const OWN_TEXT_KINDS = `(?:${TEXT_KINDS}|reports?|records|minutes|presentations?|slides)`;
const TEXT_REFERENCE = new RegExp(
  String.raw`\b(?:(?:my|our)\s+(?:[\p{L}\d'-]+\s+){0,3}?${OWN_TEXT_KINDS}|(?:according\s+to|based\s+on|in|from|per|under|using|as\s+(?:stated|described|listed|written)\s+in)\s+the\s+(?:[\p{L}\d'-]+\s+){0,3}?${TEXT_KINDS})\b`,
  'giu',
);
const ABOUT_DOCUMENTS = /(?:documents?|docs?|files?)$/i;
const DOCUMENT_NEXT = /^\s+(?:documents?|docs?|files?)\b/i;
// The preposition before "the …": an instruction, not content for the query.
const REFERENCE_PREPOSITION = /^(?:according\s+to|based\s+on|in|from|per|under|using|as\s+\w+\s+in)\s+/i;
const USAGE_PATTERN = /\b(?:usage|spent|spend(?:ing)?|costs? so far|tokens? used|used tokens)\b/gi;
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

// Currency conversions: [pattern, group of the amount (0: none), group of the target code].
const CONVERT_PATTERNS: [RegExp, number, number][] = [
  [
    new RegExp(
      String.raw`\bconvert\s+(?:${NUM}\s*)?(?:[a-z]{3}\s+)?(?:[a-z]+\s+){0,3}?(?:to|into|in)\s+([a-z]{3})\b`,
      'i',
    ),
    1,
    2,
  ],
  [new RegExp(String.raw`${NUM}\s*[A-Z]{3}\s+(?:(?:is|are|equals?)\s+)?(?:to|into|in)\s+([A-Z]{3})\b`), 1, 2],
  [
    new RegExp(
      String.raw`\b[Hh]ow\s+(?:many|much)\s+([A-Z]{3})\s+(?:is|are|would|will|do|does|for|in|equals?)\b(?:\s+[a-zA-Z]+){0,3}?\s+${NUM}\s*[A-Z]{3}\b`,
    ),
    2,
    1,
  ],
];

const MONTHLY = /\b(?:per month|a month|each month|monthly|projected|projection|project)\b/i;
const YEARLY = /\b(?:per year|a year|each year|yearly|annual(?:ly)?|full year|whole year)\b/i;
// Words that ask for a projection once the task names the period: "at that rate, what would 30 days cost".
const PROJECTING =
  /\b(?:project(?:ed|ion|ions)?|extrapolat\w*|forecast\w*|estimat\w*|at (?:that|this|the same|the current) rate|would|will)\b/i;

const PERIOD = /\b(?:(last|past|previous)\s+)?(\d{1,4})\s+(day|week|month|year)s?\b/gi;
const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, year: 365 };
const PERIOD_WORDS: [RegExp, number][] = [
  [/\b(?:last|past|this|previous)\s+week\b/i, 7],
  [/\b(?:last|past|this|previous)\s+month\b/i, 30],
  [/\b(?:last|past|this|previous)\s+year\b/i, 365],
  [/\btoday\b/i, 1],
];

// What a task asking for an amount says: the numbers it gives before a word are then quantities.
const AMOUNT =
  /\b(?:costs?|costing|prices?|priced|pricing|pay|pays|paid|payments?|total|reimburs\w*|allowances?|fees?|charges?|charged|worth|spend|spent|amount|budget|bill|owe|how much)\b/i;
// A task asking how many of something: "together" then adds numbers up.
const COUNTING = /\b(?:how many|number of|count)\b/i;
const QUANTITY = new RegExp(String.raw`${NUMBER}(?=\s*-\s*\p{L}|\s+\p{L})`, 'giu');
// After a number, what makes it an amount of money, a share or a time rather than a count.
const NOT_A_COUNT =
  /^\s*(?:%|percent\b|per cent\b|[A-Z]{3}\b|dollars?\b|euros?\b|pounds?\b|cents?\b|usd\b|eur\b|gbp\b|am\b|pm\b|o'clock\b)/i;
// Before a number, what makes it a condition ("over 500 units") or a label ("page 5") rather than a count.
const NOT_A_COUNT_BEFORE =
  /\b(?:over|under|above|below|than|least|most|up to|within|after|before|since|until|page|chapter|section|version|step|item|room|floor|line|number|no\.?|id|order|invoice|ticket|tier|level|phase)\s*$/i;
const SUM_WORDS = /\b(?:together|combined|altogether|in total|in all|added up|summed up)\b/gi;

const ADJUST_WORDS =
  '(discounts?|rebates?|reductions?|markdowns?|off|tax(?:es)?|vat|surcharges?|markups?|tips?|commissions?|service charges?)';
const ADJUST = new RegExp(
  String.raw`\b(after|with|less|minus|plus|including|incl\.?)\s+(?:(?:an?|the|any|my|our|its|their|all)\s+)?(?:${NUM}\s*(?:%|percent)\s+)?(?:[a-z]+\s+){0,2}?${ADJUST_WORDS}\b`,
  'i',
);
const LOWERING = /^(?:discount|rebate|reduction|markdown|off)/i;

// Worded arithmetic, rewritten into an expression in place (rule 3).
const ROOT = new RegExp(String.raw`\b(square|cube)\s+root\s+of\s+${NUM}`, 'gi');
const AGGREGATE = new RegExp(
  String.raw`\b(average|mean|sum|total|product)\s+of\s+(?:the\s+(?:numbers\s+)?)?${NUMBER}(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+)${NUMBER})+`,
  'gi',
);
const SPLIT = new RegExp(
  String.raw`\b(?:split|divid(?:e|ed|ing)|shar(?:e|ed|ing))\b(?:\s+[a-z]+){0,4}?\s+${MONEY}${NUM}(?:\s+[a-z]+){0,3}?\s+(?:among|between|across|by|into)\s+${NUM}`,
  'gi',
);
const PER_GROUP = new RegExp(
  String.raw`${MONEY}${NUM}(?:\s+[a-z]+){0,3}?\s+(?:for|among|between|across)\s+(?:the\s+)?${NUM}\s+(?:people|persons|guests|friends|participants|attendees|colleagues|diners|adults|children|kids|players|ways)\b`,
  'gi',
);
const PER_HEAD =
  /\b(?:per (?:person|head|guest|friend|participant|attendee|colleague|diner|adult|child|kid|player)|each|apiece)\b/i;
const INTEREST = new RegExp(
  String.raw`${MONEY}${NUM}(?:\s+[a-z]+){0,3}?\s+at\s+(?:an?\s+)?(?:(?:annual|yearly|interest)\s+)*(?:rate\s+of\s+)?${NUM}\s*(?:%|percent\b)`,
  'gi',
);
const INTEREST_YEARS = new RegExp(String.raw`\b(?:for|after|over|in|within)\s+${NUM}\s+years?\b`, 'i');
const COMPOUNDING: Record<string, number> = { monthly: 12, quarterly: 4, daily: 365, weekly: 52 };
const COMPOUNDED = /\bcompounded\s+(monthly|quarterly|daily|weekly)\b/i;
const SIMPLE_INTEREST = /\bsimple\s+interest\b/i;
const ADJUSTED = new RegExp(
  String.raw`${MONEY}${NUM}(?:\s+[a-z]+){0,3}?\s+(after|with|less|minus|plus|including)\s+(?:an?\s+|the\s+)?${NUM}\s*(?:%|percent\b)\s*(?:[a-z]+\s+){0,2}?${ADJUST_WORDS}\b`,
  'gi',
);
const BINARY_WORDS: Record<string, string> = {
  times: '*',
  x: '*',
  'multiplied by': '*',
  'divided by': '/',
  over: '/',
  plus: '+',
  minus: '-',
  'to the power of': '^',
  'raised to the power of': '^',
  'raised to': '^',
};

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

/** Worded arithmetic in the task, each as the span it covers and the expression it means. */
function wordedArithmetic(text: string): (Span & { expression: string; compact: string })[] {
  const found: (Span & { expression: string; compact: string })[] = [];
  const push = (span: Span, expression: string) =>
    found.push({ ...span, expression, compact: expression.replace(/\s+/g, '') });
  for (const m of matches(ROOT, text)) {
    const n = parseNum(m.groups[1]);
    if (n !== undefined) push(m, `${/^s/i.test(m.groups[0] ?? '') ? 'sqrt' : 'cbrt'}(${formatNumber(n)})`);
  }
  for (const m of matches(AGGREGATE, text)) {
    const values = Array.from(text.slice(m.start, m.end).matchAll(new RegExp(NUMBER, 'g')), (n) =>
      parseNum(n[0]),
    ).filter((n): n is number => n !== undefined);
    const kind = (m.groups[0] ?? '').toLowerCase();
    const list = values.map(formatNumber);
    if (kind === 'product') push(m, list.join(' * '));
    else if (kind === 'sum' || kind === 'total') push(m, list.join(' + '));
    else push(m, `(${list.join(' + ')}) / ${list.length}`);
  }
  for (const m of matches(SPLIT, text)) {
    const [n, k] = [parseNum(m.groups[0]), parseNum(m.groups[1])];
    if (n !== undefined && k) push(m, `${formatNumber(n)} / ${formatNumber(k)}`);
  }
  if (PER_HEAD.test(text)) {
    for (const m of matches(PER_GROUP, text)) {
      const [n, k] = [parseNum(m.groups[0]), parseNum(m.groups[1])];
      if (n !== undefined && k) push(m, `${formatNumber(n)} / ${formatNumber(k)}`);
    }
  }
  for (const m of matches(INTEREST, text)) {
    const [p, r] = [parseNum(m.groups[0]), parseNum(m.groups[1])];
    const tail = text.slice(m.end, m.end + 200);
    const years = INTEREST_YEARS.exec(tail);
    const y = parseNum(years?.[1]);
    if (p === undefined || r === undefined || !years || y === undefined) continue;
    const span = { start: m.start, end: m.end + years.index + years[0].length };
    const region = text.slice(span.start, span.end);
    const per = COMPOUNDING[(COMPOUNDED.exec(region)?.[1] ?? '').toLowerCase()];
    const [P, R, Y] = [p, r, y].map(formatNumber);
    if (SIMPLE_INTEREST.test(region)) push(span, `${P} * (1 + ${R} / 100 * ${Y})`);
    else if (per) push(span, `${P} * (1 + ${R} / 100 / ${per}) ^ (${Y} * ${per})`);
    else push(span, `${P} * (1 + ${R} / 100) ^ ${Y}`);
  }
  for (const m of matches(ADJUSTED, text)) {
    const [n, p] = [parseNum(m.groups[0]), parseNum(m.groups[2])];
    const lowering = /^(?:less|minus)$/i.test(m.groups[1] ?? '') || LOWERING.test(m.groups[3] ?? '');
    if (n !== undefined && p !== undefined)
      push(m, `${formatNumber(n)} * (1 ${lowering ? '-' : '+'} ${formatNumber(p)} / 100)`);
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * The explicit arithmetic in the task: worded forms (rule 3) rewritten in place, "15% of 240",
 * or an expression ("12 times 4" read as 12 * 4). The span covers every rewritten phrase it uses.
 */
function explicitExpression(text: string): (Span & { expression: string }) | undefined {
  const percent = PERCENT_OF.exec(text);
  // Each worded phrase becomes its expression, padded so positions stay the same (skipped when
  // even the compact form would not fit, or when it overlaps an earlier one).
  const regions: Span[] = [];
  let rewritten = '';
  let from = 0;
  for (const w of wordedArithmetic(text)) {
    if (w.start < from) continue;
    const length = w.end - w.start;
    const expression = w.expression.length <= length ? w.expression : w.compact;
    if (expression.length > length) continue;
    rewritten += text.slice(from, w.start) + expression.padEnd(length);
    regions.push({ start: w.start, end: w.end });
    from = w.end;
  }
  rewritten += text.slice(from);
  // Operator words between numbers become operators, padded the same way.
  const symbolic = rewritten
    .replace(
      /(\d\s*)(squared|cubed)\b/gi,
      (_, before: string, word: string) => before + (/^s/i.test(word) ? '^2' : '^3').padEnd(word.length),
    )
    .replace(
      /([\d)]\s*)(times|multiplied by|divided by|plus|minus|x|raised to the power of|raised to|to the power of|over)(?=\s*(?:[\d(]|sqrt|cbrt))/gi,
      (_, before: string, word: string) =>
        before + (BINARY_WORDS[word.toLowerCase().replace(/\s+/g, ' ')] ?? '*').padEnd(word.length),
    );
  const runs = /(?:sqrt|cbrt|abs|round|min|max|pow|log|exp|[\d.,()+\-*/^%\s])+/gi;
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
    const span = { start, end: start + expression.length };
    for (const r of regions) {
      if (!overlaps(r, span)) continue;
      span.start = Math.min(span.start, r.start);
      span.end = Math.max(span.end, r.end);
    }
    found = { ...span, expression: expression.replace(/\s+/g, ' ') };
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

interface Period extends Span {
  days: number;
  /** After last / past / previous: the window looked back over. */
  recent: boolean;
}

/** The periods the task names in numbers ("last 7 days", "30 days", "2 weeks"), in order. */
const periodsIn = (text: string): Period[] =>
  matches(PERIOD, text).map((m) => ({
    start: m.start,
    end: m.end,
    days: Math.max(1, Number(m.groups[1]) * (UNIT_DAYS[(m.groups[2] ?? '').toLowerCase()] ?? 1)),
    recent: m.groups[0] !== '',
  }));

/** The window the task looks back over: a recent period first, then any period, then a word. */
function windowIn(text: string, periods = periodsIn(text)): (Span & { days: number }) | undefined {
  const numeric = periods.find((p) => p.recent) ?? periods[0];
  if (numeric) return numeric;
  for (const [pattern, days] of PERIOD_WORDS) {
    const m = pattern.exec(text);
    if (m) return { start: m.index, end: m.index + m[0].length, days };
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

/** The sentences of a text as spans: cut after . ! ? before a blank (not inside "17.5") and at newlines. */
function sentenceSpans(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    const ends = c === '\n' || ('.!?'.includes(c) && (i + 1 >= text.length || /\s/.test(text[i + 1] ?? '')));
    if (!ends) continue;
    if (text.slice(start, i + 1).trim()) spans.push({ start, end: i + 1 });
    start = i + 1;
  }
  if (text.slice(start).trim()) spans.push({ start, end: text.length });
  return spans;
}

const QUESTION_START =
  /^(?:what|what's|whats|when|where|which|who|whom|whose|how|within|is|are|was|were|do|does|did|can|could|should|must|will|would|has|have|tell me|give me|show me)\b/i;
// Questions that ask for a definition, an explanation or small talk: no search of the documents.
const GENERAL_QUESTION =
  /^(?:why\b|what(?:'s| is| are| was| were)\s+(?:a|an)\s|what does\b[^?]*\bmean\b|what do you\b|(?:define|explain|describe)\b|how (?:can|could|do|would|will) you\b|(?:can|could|would|will|do|did|are|were) you\b|who are you\b|what can you\b|how are you\b|what'?s (?:new|up)\b|(?:hello|hi|hey|thanks|thank you)\b)/i;

/** A word after the first that starts with a capital ("Project Atlas"): the question names something. */
function namesSomething(sentence: string): boolean {
  const words = sentence.match(/[\p{L}][\p{L}\p{N}'-]*/gu) ?? [];
  return words.slice(1).some((w) => w !== 'I' && /^\p{Lu}/u.test(w));
}

/** Where the first question about particulars starts (rule 2), or undefined. */
function particularQuestion(text: string, delegated: Span | undefined): number | undefined {
  for (const span of sentenceSpans(text)) {
    if (inside(span.start, delegated)) continue;
    const sentence = text.slice(span.start, span.end).trim();
    const question = sentence.endsWith('?') || QUESTION_START.test(sentence);
    if (!question) continue;
    const general =
      GENERAL_QUESTION.test(sentence) && !(/^why\b/i.test(sentence) && namesSomething(sentence));
    if (!general) return span.start + text.slice(span.start, span.end).search(/\S/);
  }
  return undefined;
}

const GENERIC_TITLE_WORDS = new Set(
  'latest newest last recent recently most uploaded added new first only whole entire this that pdf markdown text'.split(
    ' ',
  ),
);
const TITLED = /\b(?:titled|named|called)\s+["“]?([^"”?.!,;\n]{1,200})/i;
const MY_DOCUMENT =
  /\b(?:my|the|our)\s+((?:(?!(?:of|the|a|an|my|our|for|in|on|to|with|and|or|that|i|by|from|at|is|are)\b)[\p{L}\d'-]+\s+){1,6}?)(?:documents?|docs?|files?)\b/giu;

/** The title the task names for document_info: quoted, after "titled", or "my X document". */
function documentTitle(text: string): { title: string; guessed: boolean } | undefined {
  const quoted = /["“]([^"”\n]{1,200})["”]/.exec(text)?.[1]?.trim();
  if (quoted) return { title: quoted, guessed: false };
  const titled = TITLED.exec(text)?.[1]?.trim();
  if (titled) return { title: titled, guessed: false };
  for (const m of text.matchAll(MY_DOCUMENT)) {
    const words = (m[1] ?? '').trim().split(/\s+/);
    while (words.length > 0 && GENERIC_TITLE_WORDS.has((words[0] ?? '').toLowerCase())) words.shift();
    if (words.length > 0) return { title: words.join(' '), guessed: true };
  }
  return undefined;
}

/** The numbers the task gives as counts of things ("4 of them", "a 6-day trip"), outside `used`. */
function quantitiesIn(text: string, used: Span[]): Operation[] {
  const covered = coverage(used, text.length);
  const out: Operation[] = [];
  for (const m of matches(QUANTITY, text)) {
    if (covered[m.start] === 1) continue;
    const raw = text.slice(m.start, m.end);
    const value = parseNum(raw);
    const before = text.slice(Math.max(0, m.start - 2), m.start);
    if (value === undefined || /[\p{L}_-]$|[$€£¥]\s?$/u.test(before)) continue;
    if (NOT_A_COUNT.test(text.slice(m.end, m.end + 12))) continue;
    if (NOT_A_COUNT_BEFORE.test(text.slice(Math.max(0, m.start - 12), m.start)) || text[m.start - 1] === '#')
      continue;
    // A year names a time, not a count.
    if (!raw.includes(',') && Number.isInteger(value) && value >= 1900 && value < 2200) continue;
    const unit = /^\s*-?\s*([\p{L}][\p{L}'-]*)/u.exec(text.slice(m.end, m.end + 40))?.[1] ?? '';
    out.push({
      start: m.start,
      end: m.end,
      operator: '*',
      value,
      unit: /^of$/i.test(unit) ? '' : stem(unit),
    });
    if (out.length >= MAX_QUANTITIES) break;
  }
  return out;
}

/** What the task asks for, as steps to call now and a calculation to make from their results. */
function planTask(fullTask: string, available: ReadonlySet<string>): TaskPlan {
  const task = fullTask.slice(0, TASK_CHARS);
  const urls = urlsIn(task);
  const json = jsonObjectIn(task);
  const uuids = matches(UUID_PATTERN, task);
  const masked = blank(task, [...urls, ...(json ? [json] : []), ...uuids, ...matches(DATE_PATTERN, task)]);

  const docInfo = matches(DOC_INFO_PATTERN, masked);
  // "my Project Atlas document" in a question about the documents names one: no search for it.
  const references = matches(TEXT_REFERENCE, masked).filter(
    (r) =>
      docInfo.length === 0 ||
      !(
        ABOUT_DOCUMENTS.test(masked.slice(r.start, r.end)) ||
        DOCUMENT_NEXT.test(masked.slice(r.end, r.end + 12))
      ),
  );
  const prepositions = references.flatMap((r) => {
    const m = REFERENCE_PREPOSITION.exec(masked.slice(r.start, r.end));
    return m ? [{ start: r.start, end: r.start + m[0].length }] : [];
  });
  const searchWords = outside(matches(SEARCH_PATTERN, masked), docInfo, masked.length);
  const search = outside([...searchWords, ...references], docInfo, masked.length).sort(
    (a, b) => a.start - b.start,
  );
  const usage = matches(USAGE_PATTERN, masked);

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
  let operations: Operation[] = live(
    OPERATION_PATTERNS.flatMap(([pattern, operator]) =>
      matches(pattern, masked).map((m) => ({
        start: m.start,
        end: m.end,
        operator,
        value: parseNum(m.groups[0]) ?? Number.NaN,
      })),
    ),
  )
    .filter((o) => Number.isFinite(o.value) && !(explicit && overlaps(o, explicit)))
    .sort((a, b) => a.start - b.start);
  let convert: (Span & { amount?: number; to: string }) | undefined;
  for (const [pattern, amountGroup, toGroup] of CONVERT_PATTERNS) {
    const m = pattern.exec(masked);
    if (!m || inside(m.index, delegated) || (explicit && inside(m.index, explicit))) continue;
    convert = {
      start: m.index,
      end: m.index + m[0].length,
      amount: parseNum(m[amountGroup]),
      to: (m[toGroup] ?? '').toUpperCase(),
    };
    break;
  }
  const periods = periodsIn(masked);
  const window = windowIn(masked, periods);
  const hasUsage = live(usage).length > 0 && available.has(USAGE);
  // The period projected over: one the task names besides the window, else a yearly or monthly word.
  const horizon = periods.find((p) => p !== window && !inside(p.start, delegated));
  const projecting = hasUsage ? PROJECTING.exec(masked) : null;
  const monthly = hasUsage ? MONTHLY.exec(masked) : null;
  const yearly = hasUsage ? YEARLY.exec(masked) : null;
  const projectionWords = [yearly, monthly, horizon ? projecting : null].filter(
    (m): m is RegExpExecArray => m !== null && !inside(m.index, delegated),
  );
  const projectionDays =
    projectionWords.length === 0
      ? undefined
      : horizon && (projecting || monthly || yearly)
        ? horizon.days
        : yearly
          ? 365
          : 30;
  const projectionSpans: Span[] = projectionDays
    ? [
        ...projectionWords.map((m) => ({ start: m.index, end: m.index + m[0].length })),
        ...(horizon ? [horizon] : []),
      ]
    : [];

  // A question about particulars, with nothing else to do, is looked up in the documents.
  const otherIntents =
    live(urls).length > 0 ||
    hasUsage ||
    live(docInfo).length > 0 ||
    delegated !== undefined ||
    explicit !== undefined ||
    convert !== undefined;
  const questionAt =
    live(search).length === 0 && !otherIntents && available.has(SEARCH)
      ? particularQuestion(masked, delegated)
      : undefined;
  const searchAt = live(search)[0]?.start ?? questionAt;
  const searching = searchAt !== undefined && available.has(SEARCH);

  const calculating = available.has(CALCULATOR) && !explicit;
  // Amounts and counts are what a derived calculation may answer: other tasks get none from these words.
  const asksAmount = AMOUNT.test(masked);
  const asksQuantity = asksAmount || COUNTING.test(masked);
  const sumWords = searching && calculating && asksQuantity ? live(matches(SUM_WORDS, masked)) : [];
  const adjustMatch = calculating && asksQuantity ? ADJUST.exec(masked) : null;
  const adjust: Adjustment | undefined =
    adjustMatch && !inside(adjustMatch.index, delegated)
      ? {
          start: adjustMatch.index,
          end: adjustMatch.index + adjustMatch[0].length,
          sign:
            /^(?:less|minus)$/i.test(adjustMatch[1] ?? '') || LOWERING.test(adjustMatch[3] ?? '') ? -1 : 1,
          percent: parseNum(adjustMatch[2]),
          word: stem(adjustMatch[3] ?? ''),
          label: (adjustMatch[3] ?? '').toLowerCase(),
        }
      : undefined;
  const usedNumbers: Span[] = [
    ...operations,
    ...(explicit ? [explicit] : []),
    ...(convert ? [convert] : []),
    ...(hasUsage && window ? [window] : []),
    ...projectionSpans,
    ...(adjust ? [adjust] : []),
    ...(delegated ? [delegated] : []),
  ];
  const quantities = searching && calculating && asksAmount ? live(quantitiesIn(masked, usedNumbers)) : [];

  const steps: Step[] = [];
  const sources: { tool: string; at: number }[] = [];
  const add = (tool: string, at: number, args: Args, source = true) => {
    if (!available.has(tool)) return;
    steps.push({ tool, at, args });
    if (source) sources.push({ tool, at });
  };

  const instructing: Span[] = [
    ...searchWords,
    ...prepositions,
    ...docInfo,
    ...usage,
    ...matches(CALC_VERBS, masked),
    // Only an operation's operator and number: in "multiply the price by 3", "price" is content.
    ...operands(masked, operations),
    ...quantities,
    ...sumWords,
    ...(explicit ? [explicit] : []),
    ...(convert ? [convert] : []),
    ...(adjust?.percent !== undefined ? [adjust] : []),
    ...projectionSpans,
    ...(usage.length > 0 && window ? [window] : []),
    ...(delegated ? [delegated] : []),
    ...(delegateMatch
      ? [{ start: delegateMatch.index, end: delegateMatch.index + delegateMatch[0].length }]
      : []),
  ];
  // Dates and ids are content for a query, though they trigger nothing.
  const content = contentOf(blank(task, [...urls, ...(json ? [json] : [])]), instructing);
  const asked = new Set(content.map(stem));

  const searched = searching && content.length > 0;
  if (searched) add(SEARCH, searchAt, { query: content.join(' ') });
  if (searched) operations = [...operations, ...quantities].sort((a, b) => a.start - b.start);

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
  if (firstUsage) add(USAGE, firstUsage.start, { days: window?.days ?? 30 });

  const firstDocInfo = live(docInfo)[0];
  let guessedTitle = false;
  if (firstDocInfo) {
    const uuid = live(uuids)[0];
    const named = uuid ? undefined : documentTitle(masked);
    guessedTitle = named?.guessed === true;
    add(
      DOCUMENTS,
      firstDocInfo.start,
      uuid ? { document_id: task.slice(uuid.start, uuid.end) } : named ? { title: named.title } : {},
    );
  }

  if (delegateMatch && delegated) add(DELEGATE, delegateMatch.index, { task: delegateTask }, false);
  if (explicit) add(CALCULATOR, explicit.start, { expression: explicit.expression }, false);
  steps.sort((a, b) => a.at - b.at);
  sources.sort((a, b) => a.at - b.at);

  let derived: DerivedCalculation | undefined;
  const sum = searched && sumWords.length > 0;
  if (calculating && (operations.length > 0 || convert || projectionDays || sum || adjust)) {
    const at = Math.min(
      operations[0]?.start ?? Number.POSITIVE_INFINITY,
      convert?.start ?? Number.POSITIVE_INFINITY,
      ...projectionSpans.map((p) => p.start),
      sumWords[0]?.start ?? Number.POSITIVE_INFINITY,
      adjust?.start ?? Number.POSITIVE_INFINITY,
    );
    derived = {
      at,
      operations,
      ...(convert ? { convert: { amount: convert.amount, to: convert.to } } : {}),
      ...(projectionDays ? { projection: projectionDays } : {}),
      ...(sum ? { sum } : {}),
      ...(adjust ? { adjust } : {}),
    };
  }
  const newest = live(docInfo).length > 0 && NEWEST.test(masked);
  return { task, steps, sources, derived, asked, newest, guessedTitle };
}

// ---- deriving a calculation from results ---------------------------------------------------

interface Derivation {
  expression: string;
  /** The search result the base number came from, to cite beside its sentence. */
  cited?: { chunkId: string; title: string; sentence: string };
  /** The percentage a discount or tax needs was found nowhere: named in the answer. */
  missing?: string;
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

interface BaseOptions {
  /** A discount or tax will apply a percentage: a percentage is no base. */
  skipPercent: boolean;
  /** Add up the best-matching sentences' numbers ("together"). */
  sum: boolean;
  /** The units of the task's quantities: a document number counting one ("30 days") is no base. */
  units: ReadonlySet<string>;
}

interface Base {
  /** A number, or a sum of numbers ("1250 + 830"). */
  value: string;
  cited?: Derivation['cited'];
}

/**
 * The number in the latest search results nearest to the asked words: most asked words outside
 * the result's title, then in all, then the closest (the first on a tie). Percentages are skipped
 * when a discount or tax will apply one, and so are numbers of a quantity's unit ("within 30 days"
 * for "a 6-day trip": a count like the task's, not a rate per day). With `sum`, the numbers of every sentence that matches
 * as well as the best one are added up (the nearest number of each).
 */
function documentNumber(turn: Turn, asked: ReadonlySet<string>, options: BaseOptions): Base | undefined {
  type Candidate = { value: number; matched: number; matchedAll: number; distance: number; sentence: string };
  const better = (a: Candidate, b: Candidate | undefined) =>
    !b ||
    a.matched > b.matched ||
    (a.matched === b.matched &&
      (a.matchedAll > b.matchedAll || (a.matchedAll === b.matchedAll && a.distance < b.distance)));
  let best: (Candidate & { hit: SearchHit }) | undefined;
  // The best number of each sentence, in order: what "together" adds up.
  const perSentence: (Candidate & { hit: SearchHit })[] = [];
  for (const result of resultsOf(turn, SEARCH).slice(0, 1)) {
    for (const hit of hitsOf(result)) {
      let sentenceBest: Candidate | undefined;
      let current = '';
      const flush = () => {
        if (sentenceBest) perSentence.push({ ...sentenceBest, hit });
        sentenceBest = undefined;
      };
      for (const n of numbersNear(hit.text, asked, stemsOf(hit.title))) {
        if ((options.skipPercent && n.percent) || (n.unit !== '' && options.units.has(n.unit))) continue;
        if (n.sentence !== current) {
          flush();
          current = n.sentence;
        }
        if (better(n, sentenceBest)) sentenceBest = n;
        if (better(n, best)) best = { ...n, hit };
      }
      flush();
    }
  }
  if (!best) return undefined;
  const cite = (c: Candidate & { hit: SearchHit }, sentence = c.sentence) => ({
    chunkId: c.hit.chunk_id,
    title: c.hit.title,
    sentence,
  });
  if (options.sum && best.matched + best.matchedAll > 0) {
    const top = best;
    const tied = perSentence
      .filter((c) => c.matched === top.matched && c.matchedAll === top.matchedAll)
      .slice(0, MAX_SUMMED);
    if (tied.length > 1) {
      const sameChunk = tied.filter((c) => c.hit.chunk_id === top.hit.chunk_id).map((c) => c.sentence);
      return {
        value: tied.map((c) => formatNumber(c.value)).join(' + '),
        cited: cite(top, [...new Set(sameChunk)].join(' ')),
      };
    }
  }
  return { value: formatNumber(best.value), cited: cite(best) };
}

const httpBody = (result: unknown) => asRecord(result).body;

function baseFrom(
  tool: string,
  turn: Turn,
  asked: ReadonlySet<string>,
  options: BaseOptions,
): Base | undefined {
  const latest = resultsOf(turn, tool)[0];
  if (latest === undefined) return undefined;
  const number = (value: number | undefined) =>
    value === undefined ? undefined : { value: formatNumber(value) };
  switch (tool) {
    case SEARCH:
      return documentNumber(turn, asked, options);
    case HTTP: {
      for (const { leaf } of rankedLeaves(httpBody(latest), asked)) {
        const value = toNumber(leaf.value);
        if (value !== undefined) return number(value);
      }
      return undefined;
    }
    case USAGE:
      return number(toNumber(asRecord(latest).cost_usd));
    case DOCUMENTS:
      return number(toNumber(asRecord(latest).total));
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

/** The percentage a discount or tax applies: the task's, else the first one the search results give near its word. */
function adjustmentPercent(adjust: Adjustment, turn: Turn): number | undefined {
  if (adjust.percent !== undefined) return adjust.percent;
  for (const result of resultsOf(turn, SEARCH).slice(0, 1)) {
    for (const hit of hitsOf(result)) {
      const found = percentNear(hit.text, adjust.word);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The derived calculation's expression, once the results it needs are in; undefined when they are not. */
function derive(plan: TaskPlan, turn: Turn): Derivation | undefined {
  const calc = plan.derived;
  if (!calc) return undefined;
  const finish = (expression: string, cited?: Derivation['cited']): Derivation => {
    if (!calc.adjust) return { expression, cited };
    const percent = adjustmentPercent(calc.adjust, turn);
    if (percent === undefined) return { expression, cited, missing: calc.adjust.label };
    const sign = calc.adjust.sign < 0 ? '-' : '+';
    return { expression: `${wrap(expression)} * (1 ${sign} ${formatNumber(percent)} / 100)`, cited };
  };
  if (calc.projection) {
    const usage = asRecord(resultsOf(turn, USAGE)[0]);
    const cost = toNumber(usage.cost_usd);
    const days = toNumber(usage.days) ?? toNumber(plan.steps.find((s) => s.tool === USAGE)?.args.days);
    if (cost === undefined || !days) return undefined;
    const start = `${formatNumber(cost)} / ${formatNumber(days)} * ${calc.projection}`;
    return finish(applyOperations(start, calc.operations));
  }
  const options: BaseOptions = {
    skipPercent: calc.adjust !== undefined,
    sum: calc.sum === true,
    units: new Set(calc.operations.flatMap((o) => (o.unit ? [o.unit] : []))),
  };
  const before = plan.sources.filter((s) => s.at < calc.at).at(-1);
  const ordered = before ? [before, ...plan.sources.filter((s) => s !== before)] : plan.sources;
  const base = (tools: { tool: string }[]) => {
    for (const { tool } of tools) {
      const found = baseFrom(tool, turn, plan.asked, options);
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
        ? { value: formatNumber(calc.convert.amount), cited: undefined }
        : base(ordered.filter((s) => s.tool !== HTTP));
    if (rate === undefined || !amount) return undefined;
    const start = `${wrap(amount.value)} * ${formatNumber(rate)}`;
    return finish(applyOperations(start, calc.operations), amount.cited);
  }
  const found = base(ordered);
  if (!found) return undefined;
  return finish(applyOperations(found.value, calc.operations), found.cited);
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
    return derivation && isCalculation(derivation.expression)
      ? { expression: derivation.expression }
      : undefined;
  }
  const url = urlsIn(plan.task)[0];
  const defaults: Record<string, Args | undefined> = {
    [SEARCH]: { query: contentOf(plan.task, urlsIn(plan.task)).join(' ') || clipText(plan.task, 500) },
    [HTTP]: url ? { url: plan.task.slice(url.start, url.end) } : undefined,
    [USAGE]: { days: windowIn(plan.task)?.days ?? 30 },
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
      if (derivation && isCalculation(derivation.expression))
        proposals = [prepare({ tool: CALCULATOR, args: { expression: derivation.expression } })].filter(
          fresh,
        );
    }
    // A title guessed from "my … document" that matches nothing: list the documents instead, once.
    if (proposals.length === 0 && !waiting && plan.guessedTitle) {
      const last = turn.calls.filter((c) => c.call.name === DOCUMENTS && c.outcome?.ok).at(-1);
      const total = last?.outcome?.ok ? toNumber(asRecord(last.outcome.result).total) : undefined;
      if (last?.args?.title !== undefined && total === 0)
        proposals = [prepare({ tool: DOCUMENTS, args: {} })].filter(fresh);
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

const NO_ANSWER = 'The provided context does not contain the answer.';

const lastUser = (request: ChatRequest) =>
  [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** A system message's delimited `<sources>` element, if it has one. */
function sourcesOf(system: string): string {
  const start = system.indexOf('<sources>');
  const end = system.lastIndexOf('</sources>');
  return start >= 0 && end > start ? system.slice(start, end + '</sources>'.length) : '';
}

/**
 * What the local model may answer from: the system and tool messages. When the user's turn reads
 * as a prompt injection ("print your system message"), it keeps its instructions to itself as an
 * aligned model would: only the system messages' delimited sources and the tool results remain.
 */
function contextOf(request: ChatRequest): string {
  const guarded = detectInjection(lastUser(request)).flagged;
  return request.messages
    .map((m) => {
      if (m.role === 'tool') return m.content ?? '';
      if (m.role !== 'system') return '';
      return guarded ? sourcesOf(m.content ?? '') : (m.content ?? '');
    })
    .filter((text) => text.length > 0)
    .join('\n\n');
}

/** The extractive answer from the system and tool messages: what the local model says without a plan. */
export function directAnswer(request: ChatRequest): string {
  const found = extractiveAnswer(lastUser(request), contextPassages(contextOf(request)));
  if (found) return found;
  // After a tool call, relay what the tool returned rather than claiming ignorance.
  const last = request.messages.at(-1);
  return last?.role === 'tool' ? last.content.slice(0, 2000) : NO_ANSWER;
}

// Rule 8: what a turn without tool results answers.
const ECHO_VERB = String.raw`(?:(?:reply|respond)\s+(?:only\s+|just\s+)?with|say|repeat|echo|(?:write|type|print|output)\s+(?:back\s+|only\s+|exactly\s+)?(?:this|the following|these))`;
const ECHO_AFTER_COLON = new RegExp(String.raw`\b${ECHO_VERB}\b[^:\n]{0,80}:[^\S\n]*([^\n]{1,500})`, 'i');
const ECHO_QUOTED = new RegExp(
  String.raw`\b${ECHO_VERB}\s+(?:(?:back|only|exactly|just|the\s+words?|the\s+text)\s+)*["“]([^"”\n]{1,500})["”]`,
  'i',
);
const SAY_BACK =
  /\bsay\s+(?:back\s+)?(hello|hi|hey|goodbye|bye|yes|no|ok|okay|thanks|thank you|good (?:morning|afternoon|evening|night))\b/i;
const RESTATE = /\b(?:confirm|repeat|read)\b[^.!?\n]{0,80}\bback\b|\bconfirm\b/i;
const FIRST_PERSON = /\b(?:my|i|i'm|i've|i am|mine|me)\b/i;
const GREETING = /^\s*(?:hello|hi|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening))\b/i;
const THANKS = /^\s*(?:thanks|thank you|many thanks|cheers)\b/i;
const ABOUT_AGENT = /\b(?:help me|can you|could you|what do you do|who are you)\b/i;
const PRONOUNS: Record<string, string> = {
  "i'm": "you're",
  "i've": "you've",
  "i'll": "you'll",
  "i'd": "you'd",
  'i am': 'you are',
  i: 'you',
  my: 'your',
  me: 'you',
  mine: 'yours',
  myself: 'yourself',
};

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The text the task asks to have echoed ("reply with this code word: X"), or undefined. */
function echoed(task: string): string | undefined {
  const quoted = ECHO_QUOTED.exec(task)?.[1]?.trim();
  if (quoted) return quoted;
  const afterColon = ECHO_AFTER_COLON.exec(task)?.[1]
    ?.trim()
    .replace(/^["“](.*)["”]$/, '$1');
  if (afterColon) return afterColon;
  const word = SAY_BACK.exec(task)?.[1];
  if (word) return `${capitalise(word.toLowerCase())}${/^(?:yes|no|ok|okay)$/i.test(word) ? '.' : '!'}`;
  return undefined;
}

/** The task's first-person statements, said back to the user ("My order is 5." → "Your order is 5."). */
function restated(task: string): string | undefined {
  if (!RESTATE.test(task)) return undefined;
  const statements = sentences(task).filter(
    (s) => !s.endsWith('?') && !RESTATE.test(s) && FIRST_PERSON.test(s) && s.length <= 500,
  );
  if (statements.length === 0) return undefined;
  return statements
    .slice(0, 3)
    .map((s) => {
      const swapped = s.replace(/\b(?:i'm|i've|i'll|i'd|i am|i|my|me|mine|myself)\b/gi, (w) => {
        const out = PRONOUNS[w.toLowerCase()] ?? w;
        return /^[A-Z]/.test(w) && w !== 'I' ? capitalise(out) : out;
      });
      const sentence = capitalise(swapped);
      return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
    })
    .join(' ');
}

/**
 * The extractive answer when a context sentence shares at least half of the task's content words
 * (and two of them, unless the task has only one): a system prompt's rules are no answer to "can
 * you help me".
 */
function groundedAnswer(task: string, context: string): string | undefined {
  const asked = new Set(contentWords(task));
  if (asked.size === 0 || !context.trim()) return undefined;
  const passages = contextPassages(context);
  let best = 0;
  for (const passage of passages) {
    for (const sentence of sentences(passage.text)) {
      let shared = 0;
      for (const word of new Set(contentWords(sentence))) if (asked.has(word)) shared++;
      best = Math.max(best, shared);
    }
  }
  if (best === 0 || best * 2 < asked.size || best < Math.min(2, asked.size)) return undefined;
  return extractiveAnswer(task, passages) ?? undefined;
}

const CAN_DO: Record<string, string> = {
  [SEARCH]: 'search your documents',
  [CALCULATOR]: 'do arithmetic with the calculator',
  [HTTP]: 'call the web APIs you name',
  [USAGE]: 'summarise your usage and spend',
  [DOCUMENTS]: 'list your documents and their status',
  [DELEGATE]: 'hand a task to a helper agent',
};

/** What the agent can do with the tools offered, as one sentence. */
function capabilities(request: ChatRequest): string {
  const can = (request.tools ?? []).map((t) => CAN_DO[t.name]).filter((c): c is string => c !== undefined);
  if (can.length === 0) return 'I can answer from this conversation only.';
  const list = can.length > 1 ? `${can.slice(0, -1).join(', ')} and ${can.at(-1)}` : can[0];
  return `I can ${list}.`;
}

/** The answer of an agent turn without tool results (rule 8): never a claim about a context. */
function answerWithoutTools(request: ChatRequest): string {
  const task = lastUser(request).slice(0, TASK_CHARS);
  const echo = echoed(task);
  if (echo) return echo;
  const statement = restated(task);
  if (statement) return statement;
  const grounded = groundedAnswer(task, contextOf(request).slice(0, RESULT_CHARS * 4));
  if (grounded) return grounded;
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return last.content.slice(0, 2000);
  if (GREETING.test(task)) return `Hello! ${capabilities(request)} What would you like to know?`;
  if (THANKS.test(task)) return `You're welcome! ${capabilities(request)}`;
  if (ABOUT_AGENT.test(task)) return `${capabilities(request)} Ask me about one of those.`;
  return `I have no tool that answers this directly. ${capabilities(request)}`;
}

const ASKS_WHEN = /\b(?:when|date|dates|time|uploaded on|added on)\b/i;

const quote = (text: string, max: number) => `"${clipText(text, max).replace(/"/g, "'")}"`;

function searchFact(
  made: MadeCall,
  result: unknown,
  plan: TaskPlan,
  derivation: Derivation | undefined,
): string {
  const hits = hitsOf(result);
  const cited = derivation?.cited;
  const citedHit = cited ? hits.find((h) => h.chunk_id === cited.chunkId) : undefined;
  let chosen: { hit: SearchHit; sentence: string } | undefined =
    cited && citedHit ? { hit: citedHit, sentence: cited.sentence } : undefined;
  if (!chosen) {
    // The sentence sharing the most query words across the results (the earlier result on a tie).
    let best: (ScoredSentence & { hit: SearchHit }) | undefined;
    for (const hit of hits) {
      const scored = scoredSentence(hit.text, plan.asked, stemsOf(hit.title));
      if (scored && betterSentence(scored, best)) best = { ...scored, hit };
    }
    const hit = best?.hit ?? hits[0];
    if (hit) chosen = { hit, sentence: best?.sentence ?? sentences(hit.text)[0] ?? '' };
  }
  if (!chosen) return `search_documents found nothing for ${quote(String(made.args?.query ?? ''), 100)}.`;
  const { hit, sentence } = chosen;
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
    const sentence = scoredSentence(body.slice(0, RESULT_CHARS), plan.asked)?.sentence ?? body;
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

/** A document as the answer names it; its upload date when the task asks when. */
function describeDocument(d: Record<string, unknown>, dated: boolean): string {
  const chunks = toNumber(d.chunks);
  const uploaded = dated ? /^\d{4}-\d{2}-\d{2}/.exec(String(d.created_at ?? ''))?.[0] : undefined;
  const details = [
    clipText(String(d.status ?? 'unknown'), 20),
    chunks !== undefined ? `${chunks} chunk${chunks === 1 ? '' : 's'}` : undefined,
    uploaded ? `uploaded ${uploaded}` : undefined,
  ].filter(Boolean);
  return `${quote(String(d.title ?? 'untitled'), 80)} (${details.join(', ')})`;
}

function documentsFact(result: unknown, plan: TaskPlan): string {
  const dated = ASKS_WHEN.test(plan.task);
  const r = asRecord(result);
  const docs = Array.isArray(r.documents) ? r.documents.map(asRecord) : [];
  const total = toNumber(r.total) ?? docs.length;
  if (total === 0 || docs.length === 0) return total === 0 ? 'No documents found.' : `${total} documents.`;
  // The tool lists the newest first.
  if (plan.newest && docs[0])
    return `The most recently uploaded document is ${describeDocument(docs[0], dated)}, of ${total} in all.`;
  const listed = docs.slice(0, 5).map((d) => describeDocument(d, dated));
  return `${total} document${total === 1 ? '' : 's'}: ${listed.join(', ')}${docs.length > 5 ? ', …' : ''}.`;
}

/**
 * The final answer of an agent request (module comment, rules 7 and 8): written only from the task
 * and the tool results of this turn, naming each failed tool.
 */
export function composeAnswer(request: ChatRequest): string {
  const turn = readTurn(request);
  const answered = turn.calls.filter((c) => c.outcome !== undefined);
  if (answered.length === 0) return answerWithoutTools(request);
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
  const lastSuccessOf = new Map(
    answered.flatMap((made, index) => (made.outcome?.ok ? [[made.call.name, index] as const] : [])),
  );
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
        // A listing made after a title matched nothing replaces that empty answer.
        if (lastSuccessOf.get(DOCUMENTS) === index) facts.push(documentsFact(result, plan));
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
  if (plan.derived && !calculated && !derivation)
    facts.push('The calculation was not made: no tool returned the number it needs.');
  if (derivation?.missing) facts.push(`No ${derivation.missing} percentage was found, so none was applied.`);
  const lines = [...calculations, ...facts, ...failures].filter((line, i, all) => all.indexOf(line) === i);
  return lines.length > 0 ? lines.join(' ') : answerWithoutTools(request);
}
