import type { CountTokens } from '../../llm/tokens/count-tokens.ts';
import { parseBlocks } from './blocks.ts';
import { paragraphUnits, type Unit } from './units.ts';

export interface ChunkingSettings {
  /** Target chunk size in tokens. */
  size: number;
  /** Tokens repeated from the end of the previous chunk of the same section (< size). */
  overlap: number;
}

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

// Tokens of the units plus one per join: the whitespace between two units is at most one token.
const sum = (units: Unit[]) => units.reduce((total, u) => total + u.tokens, Math.max(0, units.length - 1));

// The trailing units of a chunk that fit in the overlap budget, repeated at the next chunk's start.
function tail(units: Unit[], overlap: number): Unit[] {
  const out: Unit[] = [];
  let tokens = 0;
  for (let i = units.length - 1; i > 0; i--) {
    if (tokens + units[i]!.tokens > overlap) break;
    tokens += units[i]!.tokens;
    out.unshift(units[i]!);
  }
  return out;
}

/**
 * Splits a document into chunks of at most `size` tokens. A chunk never crosses a heading,
 * prefers to end at a paragraph end, and otherwise ends at a sentence end (or, for an
 * over-long sentence, between words). Consecutive chunks of one section share up to
 * `overlap` tokens. Each chunk's text is the exact slice [start, end) of the document.
 */
export function chunkText(
  text: string,
  options: ChunkingSettings & { format: 'markdown' | 'plain'; countTokens: CountTokens },
): TextChunk[] {
  const { size, overlap, countTokens } = options;
  const chunks: TextChunk[] = [];
  for (const section of sections(text, options.format)) {
    let current: Unit[] = [];
    let fresh = 0;
    const emit = () => {
      if (fresh === 0) return;
      const start = current[0]!.start;
      const end = current.at(-1)!.end;
      const body = text.slice(start, end);
      chunks.push({
        ordinal: chunks.length,
        text: body,
        start,
        end,
        tokenCount: countTokens(body),
        headingPath: section.headingPath,
      });
      current = tail(current, overlap);
      fresh = 0;
    };
    section.paragraphs.forEach((paragraph, index) => {
      const units = paragraphUnits(text, { ...paragraph, index }, size, countTokens);
      const paragraphTokens = sum(units) + 1;
      // Start a whole paragraph in a fresh chunk rather than split it, once the chunk is half full.
      if (fresh > 0 && sum(current) >= size / 2 && sum(current) + paragraphTokens > size) emit();
      for (const unit of units) {
        if (sum(current) + 1 + unit.tokens > size) {
          emit();
          while (current.length > 0 && sum(current) + 1 + unit.tokens > size) current.shift();
        }
        current.push(unit);
        fresh++;
      }
    });
    emit();
  }
  return chunks;
}
