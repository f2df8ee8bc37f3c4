import { beforeAll, describe, expect, it } from 'vitest';
import { type CountTokens, loadTokenCounter } from '../../../src/llm/tokens/count-tokens.ts';
import { ChunkLimitError, chunkText } from '../../../src/rag/chunking/chunk-text.ts';
import { expectLinearGrowth } from '../../helpers/responsiveness.ts';

// Linear is 4, quadratic 16: 10 leaves room for a machine busy with other test files.
const MAX_RATIO = 10;

let count: CountTokens;
beforeAll(async () => {
  count = await loadTokenCounter();
});

const chunk = (text: string, size: number, overlap: number, maxChunks?: number) =>
  chunkText(text, { size, overlap, format: 'plain', countTokens: count, maxChunks });

// Pseudo-random letters: a "word" the tokenizer's cache cannot shortcut.
function randomWord(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let x = 12345;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += alphabet[x % 64];
  }
  return out;
}

// Each input is `build(n)`, chunked with its size and overlap, n large enough that one run takes
// some milliseconds.
const adversarial: Record<
  string,
  { build: (n: number) => string; size: number; overlap: number; n: number }
> = {
  // One-token units in a large chunk: every step used to re-add every unit of the chunk.
  'one-token lines in 2048-token chunks': {
    build: (n) => 'a\n'.repeat(n),
    size: 2048,
    overlap: 512,
    n: 20_000,
  },
  'one-token sentences in 2048-token chunks': {
    build: (n) => 'a. '.repeat(n),
    size: 2048,
    overlap: 512,
    n: 20_000,
  },
  'short paragraphs': { build: (n) => 'x y\n\n'.repeat(n), size: 300, overlap: 75, n: 10_000 },
  'one word, no spaces': { build: (n) => randomWord(n), size: 300, overlap: 0, n: 50_000 },
  'one repeated letter': { build: (n) => 'a'.repeat(n), size: 300, overlap: 0, n: 100_000 },
  'a sentence with no end': { build: (n) => 'word '.repeat(n), size: 64, overlap: 16, n: 20_000 },
};

describe('chunking on adversarial input grows linearly', () => {
  for (const [name, { build, size, overlap, n }] of Object.entries(adversarial)) {
    it(name, async () => {
      const inputs = new Map<number, string>();
      const input = (length: number) => inputs.get(length) ?? inputs.set(length, build(length)).get(length)!;
      await expectLinearGrowth((length) => chunk(input(length), size, overlap), n, MAX_RATIO);
    });
  }
});

describe('chunking bounds what one document can make', () => {
  it('60 KB of short lines with large chunks makes a few dozen chunks, not one per line', () => {
    // With size 2048 and overlap 1024 this made 18,977 chunks: the overlap carried over nearly the
    // whole chunk, counted without the joins between its one-token units.
    const text = 'a\n'.repeat(30_000);
    const chunks = chunk(text, 2048, 1024);
    expect(chunks.length).toBeLessThan(100);
    for (let i = 1; i < chunks.length; i++) {
      expect(count(text.slice(chunks[i]!.start, chunks[i - 1]!.end))).toBeLessThanOrEqual(1024);
    }
  });

  it('stops with ChunkLimitError as soon as the document passes maxChunks, instead of cutting it', () => {
    // 10 MB in one paragraph: its units come one at a time, so chunking stops at the 101st chunk.
    const text = 'Sentence number one. '.repeat(500_000);
    let counted = 0;
    const counting: CountTokens = (s) => {
      counted += s.length;
      return count(s);
    };
    expect(() =>
      chunkText(text, { size: 16, overlap: 4, format: 'plain', countTokens: counting, maxChunks: 100 }),
    ).toThrow(ChunkLimitError);
    expect(counted).toBeLessThan(100_000);
  });

  it('cuts a word longer than a chunk between characters: every chunk within the size, nothing lost', () => {
    const word = randomWord(200_000);
    const chunks = chunk(word, 300, 0);
    expect(chunks.length).toBeGreaterThan(50);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(300);
      expect(word.slice(c.start, c.end)).toBe(c.text);
    }
    expect(chunks.map((c) => c.text).join('')).toBe(word);
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(5000);
    const chunks = chunk(emoji, 16, 0);
    expect(chunks.length).toBeGreaterThan(100);
    for (const c of chunks) expect(c.text).toMatch(/^(?:😀)+$/u);
  });
});
