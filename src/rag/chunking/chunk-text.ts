import type { CountTokens } from '../../llm/tokens/count-tokens.ts';
import { parseBlocks } from './blocks.ts';
import { paragraphUnits, type Unit } from './units.ts';

export interface ChunkingSettings {
  /** Target chunk size in tokens. */
  size: number;
  /** Tokens repeated from the end of the previous chunk of the same section (at most size / 4). */
  overlap: number;
}

/**
 * The largest overlap a chunk size allows: a quarter. Every chunk then brings at least three
 * quarters of new text, where an overlap near the size made about one chunk per sentence (a 60 KB
 * document, 19,000 chunks). Uploads, index versions and the configured defaults all obey it.
 */
export const maxChunkOverlap = (size: number) => Math.floor(size / 4);

export interface TextChunk {
  ordinal: number;
  text: string;
  start: number;
  end: number;
  tokenCount: number;
  headingPath: string[];
}

interface Section {
  headingPath: string[];
  paragraphs: { start: number; end: number }[];
}

function sections(text: string, format: 'markdown' | 'plain'): Section[] {
  const out: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  let current: Section = { headingPath: [], paragraphs: [] };
  for (const block of parseBlocks(text, format)) {
    if (block.kind === 'paragraph') {
      current.paragraphs.push(block);
      continue;
    }
    if (current.paragraphs.length > 0) out.push(current);
    while (stack.length > 0 && stack.at(-1)!.level >= block.level) stack.pop();
    stack.push({ level: block.level, text: block.text });
    current = { headingPath: stack.map((h) => h.text), paragraphs: [] };
  }
  if (current.paragraphs.length > 0) out.push(current);
  return out;
}

/** Chunking stopped: the document would make more than `limit` chunks. */
export class ChunkLimitError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`the document makes more than ${limit} chunks`);
    this.name = 'ChunkLimitError';
    this.limit = limit;
  }
}

/**
 * The units of the chunk being built. Their token total is kept as units come and go, so each
 * step costs the same however many units the chunk holds (tiny units in a large chunk used to
 * make every step re-add them all).
 */
class ChunkWindow {
  private units: Unit[] = [];
  private head = 0;
  private tokens = 0;

  get length() {
    return this.units.length - this.head;
  }
  /** Tokens of the units plus one per join: the whitespace between two units is at most one token. */
  get sum() {
    return this.length === 0 ? 0 : this.tokens + this.length - 1;
  }
  get first() {
    return this.units[this.head]!;
  }
  get last() {
    return this.units.at(-1)!;
  }
  push(unit: Unit) {
    this.units.push(unit);
    this.tokens += unit.tokens;
  }
  shift() {
    this.tokens -= this.units[this.head++]!.tokens;
  }
  /**
   * Keeps only the trailing units that fit in `overlap` tokens, joins counted, never the first
   * one: they open the next chunk. Counting the joins keeps a chunk of one-token units from
   * carrying nearly all of itself over, which made one chunk per unit.
   */
  keepTail(overlap: number) {
    let from = this.units.length;
    let tokens = 0;
    while (from - 1 > this.head) {
      const unit = this.units[from - 1]!;
      const joins = this.units.length - from;
      if (tokens + unit.tokens + joins > overlap) break;
      tokens += unit.tokens;
      from--;
    }
    this.units = this.units.slice(from);
    this.head = 0;
    this.tokens = tokens;
  }
}

/**
 * Splits a document into chunks of at most `size` tokens. A chunk never crosses a heading,
 * prefers to end at a paragraph end, and otherwise ends at a sentence end (or, for an
 * over-long sentence, between words, and for an over-long word between characters).
 * Consecutive chunks of one section share up to `overlap` tokens. Each chunk's text is the
 * exact slice [start, end) of the document. Throws ChunkLimitError, as soon as it is certain,
 * when the document would make more than `maxChunks` chunks.
 */
export function chunkText(
  text: string,
  options: ChunkingSettings & {
    format: 'markdown' | 'plain';
    countTokens: CountTokens;
    maxChunks?: number | undefined;
  },
): TextChunk[] {
  const { size, overlap, countTokens } = options;
  const maxChunks = options.maxChunks ?? Number.POSITIVE_INFINITY;
  const chunks: TextChunk[] = [];
  for (const section of sections(text, options.format)) {
    const window = new ChunkWindow();
    let fresh = 0;
    const emit = () => {
      if (fresh === 0) return;
      if (chunks.length >= maxChunks) throw new ChunkLimitError(maxChunks);
      const start = window.first.start;
      const end = window.last.end;
      const body = text.slice(start, end);
      chunks.push({
        ordinal: chunks.length,
        text: body,
        start,
        end,
        tokenCount: countTokens(body),
        headingPath: section.headingPath,
      });
      window.keepTail(overlap);
      fresh = 0;
    };
    section.paragraphs.forEach((paragraph, index) => {
      const { tokens, units } = paragraphUnits(text, { ...paragraph, index }, size, countTokens);
      // Start a whole paragraph in a fresh chunk rather than split it, once the chunk is half full.
      if (fresh > 0 && window.sum >= size / 2 && window.sum + tokens + 1 > size) emit();
      for (const unit of units) {
        if (window.sum + 1 + unit.tokens > size) {
          emit();
          while (window.length > 0 && window.sum + 1 + unit.tokens > size) window.shift();
        }
        window.push(unit);
        fresh++;
      }
    });
    emit();
  }
  return chunks;
}
