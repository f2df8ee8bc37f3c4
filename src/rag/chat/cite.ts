import type { ContextSource } from './build-context.ts';

// Answers quoting a source share runs of words with it; five in a row is rarely chance.
const SHINGLE = 5;

const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];

function shingles(tokens: string[]): Set<string> {
  const out = new Set<string>();
  if (tokens.length < SHINGLE) {
    if (tokens.length > 0) out.add(tokens.join(' '));
    return out;
  }
  for (let i = 0; i + SHINGLE <= tokens.length; i++) out.add(tokens.slice(i, i + SHINGLE).join(' '));
  return out;
}

// How much of the answer before a marker is compared with the sources to tell a copy from a citation.
const COPIED_CONTEXT = 24;

/**
 * The sources an answer relies on: those it cites as [n], and those it quotes (five words in
 * a row; extractive answers quote rather than cite). Only sources that were in the context
 * can be returned, so a citation always points at a retrieved chunk. A marker is the model's
 * own only when the answer did not copy it, with the words before it, from a source's text
 * (a footnote "[2]" in a document cites nothing).
 */
export function citedSources(answer: string, sources: ContextSource[]): ContextSource[] {
  const byMarker = new Map(sources.map((s) => [s.marker, s]));
  const cited = new Set<ContextSource>();
  for (const match of answer.matchAll(/\[(\d{1,3})\]/g)) {
    const source = byMarker.get(Number(match[1]));
    if (!source) continue;
    const end = match.index + match[0].length;
    const span = answer.slice(Math.max(0, match.index - COPIED_CONTEXT), end);
    if (span.length > match[0].length && sources.some((s) => s.block.includes(span))) continue;
    cited.add(source);
  }
  const quoted = [...shingles(words(answer.replace(/\[\d{1,3}\]/g, ' ')))];
  for (const source of sources) {
    if (cited.has(source)) continue;
    const text = ` ${words(source.hit.text).join(' ')} `;
    if (quoted.some((s) => s.split(' ').length >= SHINGLE && text.includes(` ${s} `))) cited.add(source);
  }
  return sources.filter((s) => cited.has(s));
}
