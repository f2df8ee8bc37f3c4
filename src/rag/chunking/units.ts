import type { CountTokens } from '../../llm/tokens/count-tokens.ts';

/** The smallest piece chunking moves around: a sentence, a line, or a window of words. */
export interface Unit {
  start: number;
  end: number;
  tokens: number;
  paragraph: number;
}

type Span = Omit<Unit, 'paragraph'>;

// Sentence ends (., !, ? followed by space) and line breaks: the places a chunk may end
// inside a paragraph.
const boundary = /(?<=[.!?])\s+(?=\S)|\n+/g;

// Text longer than this many characters per token of the chunk size is never counted in one
// piece: it is over the size in practice, counting costs grow with the length counted, and a
// chunk never needs more.
const MAX_CHARS_PER_TOKEN = 32;

function* pieces(text: string, start: number, end: number): Generator<[number, number]> {
  const slice = text.slice(start, end);
  let from = 0;
  for (const match of slice.matchAll(boundary)) {
    if (match.index > from) yield [start + from, start + match.index];
    from = match.index + match[0].length;
  }
  if (from < slice.length) yield [start + from, end];
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * A run of text without spaces longer than a chunk (a URL, base64, a word in a script without
 * spaces): cut between characters, never inside a surrogate pair, into the longest pieces of at
 * most `size` tokens (and `size * MAX_CHARS_PER_TOKEN` characters). Each piece is found by
 * doubling then halving its length, so the text counted stays within a few times the piece.
 */
function* characterWindows(text: string, start: number, end: number, size: number, count: CountTokens) {
  const within = (from: number, length: number) => count(text.slice(from, from + length)) <= size;
  let from = start;
  while (from < end) {
    const longest = Math.min(end - from, size * MAX_CHARS_PER_TOKEN);
    let fits = 0;
    let tooLong = longest + 1;
    for (let length = Math.min(longest, size); ; length = Math.min(longest, length * 2)) {
      if (!within(from, length)) {
        tooLong = length;
        break;
      }
      fits = length;
      if (length === longest) break;
    }
    while (tooLong - fits > 1) {
      const middle = (fits + tooLong) >> 1;
      if (within(from, middle)) fits = middle;
      else tooLong = middle;
    }
    let cut = from + Math.max(1, fits);
    if (cut < end && isLowSurrogate(text.charCodeAt(cut))) cut = cut - 1 > from ? cut - 1 : cut + 1;
    yield { start: from, end: cut, tokens: count(text.slice(from, cut)) } satisfies Span;
    from = cut;
  }
}

// A sentence longer than a chunk: windows of whole words within `size` tokens, counted per
// word (with its leading space) so a long run of text costs one pass. A word longer than a
// chunk is cut between characters.
function* wordWindows(text: string, start: number, end: number, size: number, count: CountTokens) {
  let window: Span | undefined;
  for (const m of text.slice(start, end).matchAll(/\S+/g)) {
    const word = m[0];
    const wordStart = start + m.index;
    const wordEnd = wordStart + word.length;
    const long = word.length > size * MAX_CHARS_PER_TOKEN;
    const joined = long ? size + 1 : count(window ? ` ${word}` : word);
    if (window && window.tokens + joined <= size) {
      window.end = wordEnd;
      window.tokens += joined;
      continue;
    }
    const alone = window && !long ? count(word) : joined;
    if (window) yield window;
    window = undefined;
    if (alone > size) yield* characterWindows(text, wordStart, wordEnd, size, count);
    else window = { start: wordStart, end: wordEnd, tokens: alone };
  }
  if (window) yield window;
}

// Tokens in text[start, end), or more than `size` without counting text too long to be a chunk.
const tokensUpTo = (text: string, start: number, end: number, size: number, count: CountTokens) =>
  end - start > size * MAX_CHARS_PER_TOKEN ? size + 1 : count(text.slice(start, end));

function* splitUnits(
  text: string,
  paragraph: { start: number; end: number; index: number },
  size: number,
  count: CountTokens,
): Generator<Unit> {
  for (const [start, end] of pieces(text, paragraph.start, paragraph.end)) {
    const tokens = tokensUpTo(text, start, end, size, count);
    if (tokens <= size) yield { start, end, tokens, paragraph: paragraph.index };
    else
      for (const w of wordWindows(text, start, end, size, count)) yield { ...w, paragraph: paragraph.index };
  }
}

/**
 * Breaks a paragraph into units of at most `size` tokens each. `tokens` is the paragraph's
 * count when it fits in a chunk, and more than `size` otherwise; the units of a paragraph that
 * does not fit come one at a time, so chunking can stop anywhere in it.
 */
export function paragraphUnits(
  text: string,
  paragraph: { start: number; end: number; index: number },
  size: number,
  count: CountTokens,
): { tokens: number; units: Iterable<Unit> } {
  const whole = tokensUpTo(text, paragraph.start, paragraph.end, size, count);
  if (whole <= size) {
    return {
      tokens: whole,
      units: [{ start: paragraph.start, end: paragraph.end, tokens: whole, paragraph: paragraph.index }],
    };
  }
  return { tokens: size + 1, units: splitUnits(text, paragraph, size, count) };
}
