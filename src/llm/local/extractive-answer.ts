import { contentWords, sentences } from './text-features.ts';

/** Text to answer from; a passage with a marker is a cited source, and its sentences are cited as `[marker]`. */
export interface Passage {
  text: string;
  marker?: number;
}

// The chat prompt's delimited sources: <source id="n" title="...">\ntext\n</source>. Text inside
// cannot hold "</source" (the prompt escapes it), so each element ends at the first one. Scanned
// with indexOf from an ever-advancing position: linear in the context, however it is crafted.
const OPEN = '<source id="';
const CLOSE = '\n</source>';

/**
 * Splits context into passages: each delimited source on its own (so an answer can cite it); with
 * no sources, the whole context (tool results, plain system text) as one unmarked passage.
 */
export function contextPassages(context: string): Passage[] {
  const passages: Passage[] = [];
  let position = 0;
  for (;;) {
    const start = context.indexOf(OPEN, position);
    const bodyStart = start < 0 ? -1 : context.indexOf('>\n', start);
    const end = bodyStart < 0 ? -1 : context.indexOf(CLOSE, bodyStart);
    if (end < 0) break;
    const marker = Number.parseInt(context.slice(start + OPEN.length, start + OPEN.length + 10), 10);
    if (Number.isSafeInteger(marker)) {
      passages.push({ marker, text: context.slice(bodyStart + 2, end).replace(/&lt;/g, '<') });
    }
    position = end + CLOSE.length;
  }
  // With sources present, the rest is the prompt's rules: not an answer.
  return passages.length > 0 ? passages : [{ text: context }];
}

/**
 * Answers a question from passages by picking the sentences that share the most content words
 * with it, each followed by its source's `[marker]`. Null when nothing overlaps the question.
 */
export function extractiveAnswer(question: string, passages: Passage[], maxSentences = 3): string | null {
  const asked = new Set(contentWords(question));
  if (asked.size === 0) return null;
  const scored = passages
    .flatMap((passage) => sentences(passage.text).map((sentence) => ({ sentence, marker: passage.marker })))
    .map(({ sentence, marker }, index) => {
      const terms = new Set(contentWords(sentence));
      let overlap = 0;
      for (const term of asked) if (terms.has(term)) overlap++;
      return { sentence, marker, index, score: overlap / Math.sqrt(terms.size + 1) };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, maxSentences)
    .sort((a, b) => a.index - b.index);
  if (scored.length === 0) return null;
  return scored.map((s) => (s.marker === undefined ? s.sentence : `${s.sentence} [${s.marker}]`)).join(' ');
}
