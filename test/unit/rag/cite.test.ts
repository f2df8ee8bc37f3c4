import { describe, expect, it } from 'vitest';
import type { ContextSource } from '../../../src/rag/chat/build-context.ts';
import { citedSources } from '../../../src/rag/chat/cite.ts';

const source = (marker: number, text: string): ContextSource => ({
  marker,
  block: `[${marker}] Doc\n${text}`,
  hit: {
    chunkId: marker,
    documentId: `doc-${marker}`,
    documentTitle: 'Doc',
    text,
    score: 1,
    headingPath: [],
    charStart: 0,
    charEnd: text.length,
  },
});

const sources = [
  source(1, 'TRUNCATE quickly removes all rows from a set of tables.'),
  source(2, 'RESTART IDENTITY automatically restarts sequences owned by columns of the truncated tables.'),
  source(3, 'VACUUM reclaims storage occupied by dead tuples.'),
];

describe('citedSources', () => {
  it('takes [n] markers that name a source, ignoring numbers outside the context', () => {
    expect(
      citedSources('It empties tables [1] and resets sequences [2] [9].', sources).map((s) => s.marker),
    ).toEqual([1, 2]);
  });

  it('attributes quoted text to the source it comes from', () => {
    const answer = 'RESTART IDENTITY automatically restarts sequences owned by columns.';
    expect(citedSources(answer, sources).map((s) => s.marker)).toEqual([2]);
  });

  it('cites nothing for an answer that neither cites nor quotes', () => {
    expect(citedSources('The provided context does not contain the answer.', sources)).toEqual([]);
    expect(citedSources('Tables and rows.', sources)).toEqual([]);
  });
});
