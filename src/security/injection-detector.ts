// Prompt-injection detector: does a text (a caller's input, a retrieved chunk, a tool result) try to
// instruct the model that reads it? Rule-based on purpose (docs/decisions/0013-injection-detector.md):
// pure, synchronous, a few kilobytes of patterns, the same on Node and Workers.
import { decodedBlobs } from './injection-encoded.ts';
import { normaliseForMatching } from './injection-normalise.ts';
import { DISCUSSION, INJECTION_RULES } from './injection-rules.ts';

export interface InjectionVerdict {
  /** True when the text looks like an attempt to instruct the model. */
  flagged: boolean;
  /** 0..1, higher = more likely an injection; flagged is score >= INJECTION_THRESHOLD. */
  score: number;
  /** Ids of the rules that matched, e.g. 'override-instructions', 'reveal-system-prompt', 'role-marker', 'exfiltrate-url', 'tool-command', 'persona-switch', 'addressed-to-model', 'conceal', 'encoded-payload', 'other-users-data'; empty when none. */
  signals: string[];
}

export const INJECTION_THRESHOLD = 0.5;

/**
 * Texts longer than twice this are scanned at their first and last 32 KiB only: it bounds the cost
 * per call for tool results of any size, while retrieved chunks (1-4 KB) and ordinary inputs are
 * read whole. An instruction hidden in the middle of a huge tool result goes unseen; the model
 * reading it is given only a bounded part of such a result as well.
 */
const SCAN_WINDOW = 32 * 1024;

// A phrase quoted in a text that discusses attacks (an article, an advisory) counts this much of
// its weight: such texts are the hardest benign cases, and they quote the very phrases rules match.
const QUOTED_DISCOUNT = 0.3;
// How far back an opening quote is looked for.
const QUOTE_REACH = 160;
const QUOTE_MARKS = new Set(['"', "'", '`', '“', '”', '‘', '’', '«', '»', '„', '「', '」', '『', '』']);
const OPENING_ONLY = new Set(['“', '‘', '«', '„', '「', '『']);
const CLOSING_ONLY = new Set(['”', '»', '」', '』']);
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function scanned(text: string): string {
  if (text.length <= 2 * SCAN_WINDOW) return text;
  return `${text.slice(0, SCAN_WINDOW)}\n${text.slice(-SCAN_WINDOW)}`;
}

/**
 * Whether position `at` of `view` lies inside a quotation: the nearest quote mark before it, on
 * the same line and within reach, opens one. A straight quote opens when no letter precedes it
 * (so the apostrophe in "don't" or "user's" does not count).
 */
function insideQuotes(view: string, at: number): boolean {
  for (let i = at - 1; i >= Math.max(0, at - QUOTE_REACH); i--) {
    const ch = view[i] as string;
    if (ch === '\n') return false;
    if (!QUOTE_MARKS.has(ch)) continue;
    if (OPENING_ONLY.has(ch)) return true;
    if (CLOSING_ONLY.has(ch)) return false;
    const before = view[i - 1];
    if (ch === '’' || (ch === "'" && before !== undefined && LETTER_OR_DIGIT.test(before))) continue;
    return before === undefined || !LETTER_OR_DIGIT.test(before);
  }
  return false;
}

/** The matched rules' signals and weights in `view` (already normalised). */
function ruleMatches(view: string): { signal: string; weight: number }[] {
  const discussion = DISCUSSION.test(view);
  const matches: { signal: string; weight: number }[] = [];
  for (const rule of INJECTION_RULES) {
    const match = rule.pattern.exec(view);
    if (!match) continue;
    const quoted = discussion && insideQuotes(view, match.index);
    matches.push({ signal: rule.signal, weight: quoted ? rule.weight * QUOTED_DISCOUNT : rule.weight });
  }
  return matches;
}

/**
 * Scores `text` for prompt injection. Each matching rule is a piece of evidence with its weight;
 * they combine as if independent (1 - Π(1 - w)), so one strong phrase or several weak ones flag a
 * text while a single weak one (an imperative, a role word, a URL) does not. A small base64 or hex
 * blob that decodes to text matching any rule adds 'encoded-payload' and the decoded text's matches.
 */
export function detectInjection(text: string): InjectionVerdict {
  const bounded = scanned(text);
  const matches = ruleMatches(normaliseForMatching(bounded));
  for (const decoded of decodedBlobs(bounded)) {
    const inner = ruleMatches(normaliseForMatching(decoded));
    if (inner.length > 0) matches.push({ signal: 'encoded-payload', weight: 0.5 }, ...inner);
  }
  const score = 1 - matches.reduce((rest, m) => rest * (1 - m.weight), 1);
  const rounded = Math.round(score * 1000) / 1000;
  return {
    flagged: rounded >= INJECTION_THRESHOLD,
    score: rounded,
    signals: [...new Set(matches.map((m) => m.signal))].sort(),
  };
}
