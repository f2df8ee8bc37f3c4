// What each agents eval case expects, and how a finished run is scored against it.

/** A fact the answer must state: a string (any case), a number (as written, commas allowed), or any one of several. */
export type Fact = string | number | (string | number)[];

export interface UsageSeed {
  /** Whole days before the eval's clock (0: today). */
  days_ago: number;
  model: string;
  cost_usd: number;
  tokens_in?: number;
  tokens_out?: number;
  /** How many identical events (model calls) to record. */
  calls?: number;
}

export interface Case {
  id: string;
  tags: string[];
  /** The run's input; `{rates_api}` becomes the base URL of the fake rates API (see setup.rates_api). */
  task: string;
  agent?: string;
  limits?: Record<string, number>;
  setup?: {
    /** Files of fixtures/documents to ingest for this case's user, in this order. */
    documents?: string[];
    usage?: UsageSeed[];
    /** up: the API answers; error: it answers 503; down: nothing listens at its address. */
    rates_api?: 'up' | 'error' | 'down';
  };
  /** The tools the run must call (top level), in this order unless `order` is false; other calls may come between. */
  expected_tools: string[];
  order?: boolean;
  /** Tools a sub-agent must call (delegation cases), in order. */
  expected_sub_tools?: string[];
  /** Model calls a good run needs; default one per expected tool plus the answer. */
  expected_steps?: number;
  /** Default "completed". */
  expected_stop_reason?: string;
  answer_facts: Fact[];
  /** Tools that must not be called, by the run or its sub-agents; "*" is any tool not expected. */
  forbidden_tools?: string[];
  /** Text no tool call's arguments may contain (where an injected instruction points). */
  forbidden_arguments?: string[];
}

/** What the scoring reads of a finished run (and its sub-runs). */
export interface RunView {
  stopReason: string | null;
  answer: string;
  /** Tools the run's model asked for, in order, whatever became of each call. */
  tools: string[];
  /** The same for its sub-agents, in order. */
  subTools: string[];
  /** The decision on every call, sub-agents' included (executed, blocked_validation...). */
  decisions: string[];
  /** Every call's arguments as JSON text, sub-agents' included. */
  arguments: string[];
  /** Model calls of the run itself (steps). */
  steps: number;
}

export interface CaseChecks {
  tool_choice: boolean;
  answer: boolean;
  stop_reason: boolean;
  /** Share of this case's calls that passed argument validation (1 with no calls). */
  argument_validity: number;
  steps_efficiency: number;
  /** Set when the case forbids something: no forbidden tool or argument was used. */
  forbidden_avoided?: boolean;
}

/** `expected` appears in `called` in order, other calls allowed in between. */
function inOrder(expected: string[], called: string[]): boolean {
  let at = 0;
  for (const tool of called) if (tool === expected[at]) at++;
  return at === expected.length;
}

/** Every expected call is among `called`, counting repeats. */
function asSet(expected: string[], called: string[]): boolean {
  const left = [...called];
  return expected.every((tool) => {
    const index = left.indexOf(tool);
    if (index === -1) return false;
    left.splice(index, 1);
    return true;
  });
}

// A number standing alone: not part of a word, an identifier or a date ("x2", "2026-06-15").
const NUMBER = /(?<![\p{L}\d_.-])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\p{L}\d_])/gu;
// What an answer may cite that no fact is about: ids differ from run to run, or count rows.
const CITATIONS = /\[chunk \d+\]|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The numbers written in a text, thousands separators removed. */
const numbersIn = (text: string) => [...text.matchAll(NUMBER)].map((m) => Number(m[0].replace(/,/g, '')));

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function states(answer: string, fact: string | number): boolean {
  const text = answer.replace(CITATIONS, ' ');
  if (typeof fact === 'number') {
    const tolerance = Math.max(0.006, Math.abs(fact) * 1e-6);
    return numbersIn(text).some((n) => Math.abs(n - fact) <= tolerance);
  }
  // Whole words where the fact starts or ends with one: "hi" is not in "which".
  const words = fact.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
  const edge = (c: string | undefined) => (c && /[\p{L}\d_]/u.test(c) ? '\\b' : '');
  return new RegExp(`${edge(fact.trim()[0])}${words}${edge(fact.trim().at(-1))}`, 'iu').test(text);
}

/** The facts (or fact groups) the answer does not state. */
export function missingFacts(answer: string, facts: Fact[]): Fact[] {
  return facts.filter((fact) =>
    Array.isArray(fact) ? !fact.some((f) => states(answer, f)) : !states(answer, fact),
  );
}

/** What breaks the case's prohibitions: a forbidden tool's name, or "arguments …" of a call. */
export function forbiddenCalls(c: Case, run: RunView): string[] {
  const forbidden = new Set(c.forbidden_tools ?? []);
  const anyOther = forbidden.has('*');
  const expected = new Set([...c.expected_tools, ...(c.expected_sub_tools ?? [])]);
  const tools = [...run.tools, ...run.subTools].filter(
    (tool) => forbidden.has(tool) || (anyOther && !expected.has(tool)),
  );
  const args = run.arguments.filter((text) =>
    (c.forbidden_arguments ?? []).some((needle) => text.toLowerCase().includes(needle.toLowerCase())),
  );
  return [...new Set(tools), ...args.map((a) => `arguments ${a.slice(0, 120)}`)];
}

/** Every check of one case against its finished run. */
export function check(c: Case, run: RunView): CaseChecks {
  const match = c.order === false ? asSet : inOrder;
  const violations = forbiddenCalls(c, run);
  const calledExpected =
    match(c.expected_tools, run.tools) && inOrder(c.expected_sub_tools ?? [], run.subTools);
  const expectedSteps = c.expected_steps ?? c.expected_tools.length + 1;
  const validated = run.decisions.filter((d) => d !== 'blocked_validation').length;
  const forbids = (c.forbidden_tools?.length ?? 0) + (c.forbidden_arguments?.length ?? 0) > 0;
  return {
    tool_choice: calledExpected && violations.length === 0,
    answer: missingFacts(run.answer, c.answer_facts).length === 0,
    stop_reason: run.stopReason === (c.expected_stop_reason ?? 'completed'),
    argument_validity: run.decisions.length === 0 ? 1 : validated / run.decisions.length,
    // No steps at all: the run never happened (the request failed).
    steps_efficiency: run.steps === 0 ? 0 : Math.min(1, expectedSteps / run.steps),
    ...(forbids ? { forbidden_avoided: violations.length === 0 } : {}),
  };
}

/** One number per case for eval:compare: the mean of its checks (booleans as 0/1). */
export function caseScore(checks: CaseChecks): number {
  const values = Object.values(checks).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Right tools, nothing forbidden, every fact stated, stopped as expected. */
export const casePassed = (checks: CaseChecks) => checks.tool_choice && checks.answer && checks.stop_reason;
