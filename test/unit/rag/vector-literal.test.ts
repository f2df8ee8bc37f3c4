import { describe, expect, it } from 'vitest';
import { hashEmbed } from '../../../src/llm/local/hash-embedder.ts';
import { vectorLiteral } from '../../../src/rag/ingest/embed.ts';

const parse = (literal: string) => literal.slice(1, -1).split(',').map(Number);

describe('vectorLiteral', () => {
  it('names each component as the float4 pgvector stores, in at most nine significant digits', () => {
    const vector = [...hashEmbed('write-ahead logging keeps committed data safe', 384), 1e-30, -3.4e38, 0.1];
    const literal = vectorLiteral(vector);
    expect(parse(literal).map(Math.fround)).toEqual(vector.map(Math.fround));
    for (const part of literal.slice(1, -1).split(',')) {
      expect(part.replace(/^-?0?\.?0*|e.*$|\./g, '').length).toBeLessThanOrEqual(9);
    }
  });

  it('writes zeros as 0 and keeps pgvector brackets', () => {
    expect(vectorLiteral([0, 0.5, -0.25, 0])).toBe('[0,0.500000000,-0.250000000,0]');
  });
});
