import type { ContextSource } from './build-context.ts';

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * The sources an answer relies on: those it cites as [n], and those containing one of its
 * sentences word for word (extractive answers quote rather than cite). Only sources that
 * were in the context can be returned, so a citation always points at a retrieved chunk.
 */
export function citedSources(answer: string, sources: ContextSource[]): ContextSource[] {
  const byMarker = new Map(sources.map((s) => [s.marker, s]));
  const cited = new Set<ContextSource>();
  for (const match of answer.matchAll(/\[(\d{1,3})\]/g)) {
    const source = byMarker.get(Number(match[1]));
    if (source) cited.add(source);
  }
  const sentences = answer
    .replace(/\[\d{1,3}\]/g, ' ')
    .split(/(?<=[.!?])\s+/)
    .map(normalise)
    .filter((s) => s.length >= 20);
  for (const source of sources) {
    const text = normalise(source.block);
    if (sentences.some((s) => text.includes(s))) cited.add(source);
  }
  return sources.filter((s) => cited.has(s));
}
