// How a /chat answer is scored against its question: the rules are the eval's definitions, kept
// here so that a reader (and the README) can check every figure against them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NO_CONTEXT_ANSWER } from '../../src/rag/chat/build-context.ts';

export interface AnswerQuestion {
  id: string;
  question: string;
  /** What a correct answer must state: each fact is a list of accepted spellings. */
  facts: string[][];
  /** The manual's pages that state the facts (file names): each one is enough. */
  pages: string[];
  /** The manual has no answer: the expected reply is a refusal. */
  unanswerable?: boolean;
}

/** A cited chunk as the answer's sentences are checked against it. */
export interface CitedChunk {
  marker: number;
  page: string | undefined;
  /** The document title, heading path and chunk text: what the model saw for this source. */
  text: string;
}

export interface ScoredAnswer {
  id: string;
  unanswerable: boolean;
  refused: boolean;
  /** Refused exactly when the question is unanswerable. */
  decision_correct: boolean;
  /** Supported over judged sentences; null for a refusal or an answer with no sentence to judge. */
  faithfulness: number | null;
  sentences: { judged: number; supported: number; unsupported: string[] };
  /** Cited chunks from a supporting page over cited chunks; null unless an answerable question was answered. */
  citation_precision: number | null;
  /** 1 when a supporting page is cited, else 0; null for an unanswerable question. */
  citation_recall: number | null;
  /** Reference facts stated over facts; null for an unanswerable question. */
  fact_recall: number | null;
  missing_facts: string[];
  cited_pages: string[];
}

export async function loadQuestions(): Promise<AnswerQuestion[]> {
  return (await readFile(path.join(import.meta.dirname, 'questions.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as AnswerQuestion);
}

// --- words ---------------------------------------------------------------------------------------

const STOP = new Set(
  `a about above after again all also an and any are as at be because been before being below between both
  but by can could did do does doing down during each few for from further had has have having here how i
  if in into is it its itself just may me might more most must my no nor not now of off on once only or
  other our out over own same shall should so some such than that the their them then there these they
  this those through to too under until up use used using very was we were what when where which while who
  whom why will with would yes you your`.split(/\s+/),
);

// A crude suffix stripper, the same on both sides: "indexes", "indexing" and "indexed" meet at "index".
function stem(word: string): string {
  if (word.length <= 4 || /^\d/.test(word)) return word;
  for (const [suffix, replacement] of [
    ['ies', 'y'],
    ['ing', ''],
    ['es', ''],
    ['ed', ''],
    ['s', ''],
  ] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3)
      return word.slice(0, -suffix.length) + replacement;
  }
  return word;
}

/** Content words: lower-cased letter and digit runs, stop words and one-letter words dropped, stemmed. */
function contentTerms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [])
    .filter((w) => (w.length > 1 || /\d/.test(w)) && !STOP.has(w))
    .map(stem);
}

// --- sentences -----------------------------------------------------------------------------------

const MARKER = /\[(\d{1,3})\]/g;

/**
 * The answer's sentences with the markers each carries: lines split at . ! or ? followed by a
 * space, a marker right after the stop ("… table. [2]") staying with the sentence it ends.
 */
function answerSentences(answer: string): { text: string; markers: number[] }[] {
  return answer
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?](?:\s*\[\d{1,3}\])*)\s+(?!\[\d{1,3}\])/u))
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0)
    .map((sentence) => ({
      text: sentence.replace(MARKER, ' ').replace(/\s+/g, ' ').trim(),
      markers: [...sentence.matchAll(MARKER)].map((m) => Number(m[1])),
    }));
}

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[`*"“”‘’]/g, '')
    .replace(/(\d),(\d{3})\b/g, '$1$2')
    .replace(/\s+/g, ' ');

const NO_ANSWER = normalise(NO_CONTEXT_ANSWER).replace(/\.$/, '');

/** A refusal: the chat's no-answer text, or an answer citing nothing (`grounded: false`). */
function isRefusal(answer: string, grounded: boolean): boolean {
  return !grounded || normalise(answer).includes(NO_ANSWER);
}

// --- the scores ----------------------------------------------------------------------------------

/** Share of a sentence's content words that must appear in its cited chunks for it to count as supported. */
const SUPPORT_THRESHOLD = 0.7;
/** Sentences with fewer content words ("For example:", "Yes.") are too short to judge and are skipped. */
const MIN_JUDGED_TERMS = 3;

/**
 * Lexical faithfulness: each sentence of the answer (the no-answer text aside) is supported when at
 * least SUPPORT_THRESHOLD of its distinct content words occur in the chunks it cites by marker, or,
 * for a sentence without a marker of a cited chunk, in all the chunks the answer cites. A
 * paraphrase can fall below the threshold and a sentence stitched from cited words can pass it:
 * this is a check of grounding in the cited text, not of meaning.
 */
function faithfulness(answer: string, cited: CitedChunk[]) {
  const termsOf = new Map(cited.map((c) => [c.marker, new Set(contentTerms(c.text))]));
  const all = new Set(cited.flatMap((c) => [...termsOf.get(c.marker)!]));
  let judged = 0;
  let supported = 0;
  const unsupported: string[] = [];
  for (const sentence of answerSentences(answer)) {
    if (normalise(sentence.text).includes(NO_ANSWER)) continue;
    const terms = new Set(contentTerms(sentence.text));
    if (terms.size < MIN_JUDGED_TERMS) continue;
    const own = sentence.markers.flatMap((m) => (termsOf.has(m) ? [termsOf.get(m)!] : []));
    const support = own.length > 0 ? new Set(own.flatMap((t) => [...t])) : all;
    const found = [...terms].filter((t) => support.has(t)).length;
    judged++;
    if (found / terms.size >= SUPPORT_THRESHOLD) supported++;
    else unsupported.push(sentence.text.slice(0, 200));
  }
  return { judged, supported, unsupported };
}

/** A fact is stated when one of its spellings occurs in the answer as a whole word or phrase. */
function statesFact(answer: string, spellings: string[]): boolean {
  const text = normalise(answer.replace(MARKER, ' '));
  return spellings.some((spelling) => {
    const wanted = normalise(spelling).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\p{L}\\p{N}_])${wanted}(?![\\p{L}\\p{N}_])`, 'u').test(text);
  });
}

export function scoreAnswer(
  question: AnswerQuestion,
  reply: { answer: string; grounded: boolean; cited: CitedChunk[] },
): ScoredAnswer {
  const unanswerable = question.unanswerable === true;
  const refused = isRefusal(reply.answer, reply.grounded);
  const sentences = refused
    ? { judged: 0, supported: 0, unsupported: [] }
    : faithfulness(reply.answer, reply.cited);
  const citedPages = [...new Set(reply.cited.flatMap((c) => (c.page ? [c.page] : [])))];
  const fromSupport = reply.cited.filter((c) => c.page !== undefined && question.pages.includes(c.page));
  const missing = question.facts.filter((spellings) => refused || !statesFact(reply.answer, spellings));
  return {
    id: question.id,
    unanswerable,
    refused,
    decision_correct: refused === unanswerable,
    faithfulness: sentences.judged > 0 ? sentences.supported / sentences.judged : null,
    sentences,
    citation_precision:
      unanswerable || refused || reply.cited.length === 0 ? null : fromSupport.length / reply.cited.length,
    citation_recall: unanswerable ? null : !refused && fromSupport.length > 0 ? 1 : 0,
    fact_recall: unanswerable
      ? null
      : question.facts.length === 0
        ? 1
        : (question.facts.length - missing.length) / question.facts.length,
    missing_facts: missing.map((spellings) => spellings[0] ?? ''),
    cited_pages: citedPages,
  };
}
