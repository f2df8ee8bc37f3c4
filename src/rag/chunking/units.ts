import type { CountTokens } from '../../llm/tokens/count-tokens.ts';

/** The smallest piece chunking moves around: a sentence, a line, or a window of words. */
export interface Unit {
  start: number;
  end: number;
  tokens: number;
  paragraph: number;
}

// Sentence ends (., !, ? followed by space) and line breaks: the places a chunk may end
// inside a paragraph.
const boundary = /(?<=[.!?])\s+(?=\S)|\n+/g;

function pieces(text: string, start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  const slice = text.slice(start, end);
  let from = 0;
  for (const match of slice.matchAll(boundary)) {
    if (match.index > from) out.push([start + from, start + match.index]);
    from = match.index + match[0].length;
  }
  if (from < slice.length) out.push([start + from, end]);
  return out;
}

// A sentence longer than a chunk: windows of whole words within `size` tokens, counted per
// word (with its leading space) so a long run of text costs one pass.
function wordWindows(text: string, start: number, end: number, size: number, count: CountTokens) {
  const out: { start: number; end: number; tokens: number }[] = [];
  let window: { start: number; end: number; tokens: number } | undefined;
  for (const m of text.slice(start, end).matchAll(/\S+/g)) {
    const wordStart = start + m.index;
    const wordEnd = wordStart + m[0].length;
    const tokens = count(window ? ` ${m[0]}` : m[0]);
    if (window && window.tokens + tokens <= size) {
      window.end = wordEnd;
      window.tokens += tokens;
      continue;
    }
    if (window) out.push(window);
    window = { start: wordStart, end: wordEnd, tokens: count(m[0]) };
  }
  if (window) out.push(window);
  return out;
}

/** Breaks a paragraph into units no larger than `size` tokens (except an unsplittable word). */
export function paragraphUnits(
  text: string,
  paragraph: { start: number; end: number; index: number },
  size: number,
  count: CountTokens,
): Unit[] {
  const whole = count(text.slice(paragraph.start, paragraph.end));
  if (whole <= size)
    return [{ start: paragraph.start, end: paragraph.end, tokens: whole, paragraph: paragraph.index }];
  const units: Unit[] = [];
  for (const [start, end] of pieces(text, paragraph.start, paragraph.end)) {
    const tokens = count(text.slice(start, end));
    if (tokens <= size) units.push({ start, end, tokens, paragraph: paragraph.index });
    else
      for (const w of wordWindows(text, start, end, size, count))
        units.push({ ...w, paragraph: paragraph.index });
  }
  return units;
}
