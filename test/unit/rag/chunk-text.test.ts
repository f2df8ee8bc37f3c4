import { beforeAll, describe, expect, it } from 'vitest';
import { type CountTokens, loadTokenCounter } from '../../../src/llm/tokens/count-tokens.ts';
import { chunkText } from '../../../src/rag/chunking/chunk-text.ts';

let count: CountTokens;
beforeAll(async () => {
  count = await loadTokenCounter();
});

const sentence = (n: number) => `Sentence number ${n} talks about write-ahead logging and checkpoints.`;
const paragraph = (from: number, sentences: number) =>
  Array.from({ length: sentences }, (_, i) => sentence(from + i)).join(' ');

describe('chunkText', () => {
  it('keeps every chunk within the size, as exact slices of the text', () => {
    const text = Array.from({ length: 12 }, (_, i) => paragraph(i * 10, 5)).join('\n\n');
    const chunks = chunkText(text, { size: 60, overlap: 10, format: 'plain', countTokens: count });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(60);
      expect(c.tokenCount).toBe(count(c.text));
      expect(text.slice(c.start, c.end)).toBe(c.text);
    }
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  });

  it('covers the whole text: every sentence is in some chunk', () => {
    const text = Array.from({ length: 6 }, (_, i) => paragraph(i * 10, 7)).join('\n\n');
    const chunks = chunkText(text, { size: 50, overlap: 0, format: 'plain', countTokens: count });
    for (let i = 0; i < 60; i++) {
      if (text.includes(sentence(i))) expect(chunks.some((c) => c.text.includes(sentence(i)))).toBe(true);
    }
  });

  it('repeats up to `overlap` tokens from the previous chunk of the same section', () => {
    const text = paragraph(0, 30);
    const chunks = chunkText(text, { size: 80, overlap: 20, format: 'plain', countTokens: count });
    for (let i = 1; i < chunks.length; i++) {
      const shared = chunks[i - 1]!.end - chunks[i]!.start;
      expect(shared).toBeGreaterThan(0);
      expect(count(text.slice(chunks[i]!.start, chunks[i - 1]!.end))).toBeLessThanOrEqual(20);
    }
    const none = chunkText(text, { size: 80, overlap: 0, format: 'plain', countTokens: count });
    for (let i = 1; i < none.length; i++) expect(none[i]!.start).toBeGreaterThanOrEqual(none[i - 1]!.end);
  });

  it('never crosses a heading and keeps the heading path', () => {
    const text = [
      '# Guide',
      paragraph(0, 2),
      '## Backups',
      paragraph(10, 2),
      '### Dumps',
      paragraph(20, 2),
      '## Replication',
      paragraph(30, 2),
    ].join('\n\n');
    const chunks = chunkText(text, { size: 300, overlap: 0, format: 'markdown', countTokens: count });
    expect(chunks.map((c) => c.headingPath)).toEqual([
      ['Guide'],
      ['Guide', 'Backups'],
      ['Guide', 'Backups', 'Dumps'],
      ['Guide', 'Replication'],
    ]);
    expect(chunks.every((c) => !c.text.includes('#'))).toBe(true);
  });

  it('ends chunks at paragraph ends when a paragraph fits, splitting only oversized ones', () => {
    const text = [paragraph(0, 3), paragraph(10, 3), paragraph(20, 3)].join('\n\n');
    const perParagraph = count(paragraph(0, 3));
    const chunks = chunkText(text, {
      size: perParagraph + 5,
      overlap: 0,
      format: 'plain',
      countTokens: count,
    });
    expect(chunks.map((c) => c.text)).toEqual([paragraph(0, 3), paragraph(10, 3), paragraph(20, 3)]);
  });

  it('splits a sentence longer than a chunk between words', () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkText(long, { size: 50, overlap: 0, format: 'plain', countTokens: count });
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.every((c) => c.tokenCount <= 50 && !/^\s|\s$/.test(c.text))).toBe(true);
    expect(chunks.map((c) => c.text).join(' ')).toBe(long);
  });

  it('treats "#" lines inside fenced code and in plain text as text', () => {
    const markdown = '# Setup\n\n```\n# a comment in code\nSELECT 1;\n```';
    const [code] = chunkText(markdown, { size: 100, overlap: 0, format: 'markdown', countTokens: count });
    expect(code!.headingPath).toEqual(['Setup']);
    expect(code!.text).toContain('# a comment in code');
    const [plain] = chunkText('# not a heading\n\ntext', {
      size: 100,
      overlap: 0,
      format: 'plain',
      countTokens: count,
    });
    expect(plain!.headingPath).toEqual([]);
  });
});
