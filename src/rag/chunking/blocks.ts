import { capText } from './cap-text.ts';

/** A span of the document text: a heading (with its level) or a paragraph. Offsets are UTF-16 indexes. */
export type Block =
  | { kind: 'heading'; level: number; text: string; start: number; end: number }
  | { kind: 'paragraph'; start: number; end: number };

const fence = /^(```|~~~)/;
const headingMarker = /^(#{1,6})[ \t]+/;

/** Longest heading text kept, in characters: every chunk of the section repeats its heading path. */
const HEADING_MAX_CHARS = 300;

const isClosing = (c: string) => c === ' ' || c === '\t' || c === '#';

/**
 * An ATX heading (`## Text ##`) in a trimmed line, without a backtracking pattern: the closing
 * run of spaces and `#` is cut off by a scan from the end, so a long line costs one pass.
 */
function atxHeading(trimmed: string): { level: number; text: string } | undefined {
  const marker = headingMarker.exec(trimmed);
  if (!marker || marker[0].length === trimmed.length) return undefined;
  let end = trimmed.length;
  while (end > marker[0].length && isClosing(trimmed[end - 1]!)) end--;
  // Only closing characters after the marker: the first of them is the text (`# #` is headed "#").
  const text = end > marker[0].length ? trimmed.slice(marker[0].length, end) : trimmed[marker[0].length]!;
  return { level: marker[1]!.length, text: capText(text, HEADING_MAX_CHARS) };
}

/**
 * Splits text into paragraphs (separated by blank lines) and, for Markdown, ATX headings.
 * Fenced code stays one paragraph, blank lines included, and is never read as headings.
 */
export function parseBlocks(text: string, format: 'markdown' | 'plain'): Block[] {
  const blocks: Block[] = [];
  let paragraphStart = -1;
  let paragraphEnd = -1;
  let inFence = false;
  const closeParagraph = () => {
    if (paragraphStart >= 0) blocks.push({ kind: 'paragraph', start: paragraphStart, end: paragraphEnd });
    paragraphStart = -1;
  };
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const trimmed = line.trim();
    if (format === 'markdown' && fence.test(trimmed)) inFence = !inFence;
    const match = format === 'markdown' && !inFence ? atxHeading(trimmed) : undefined;
    if (match) {
      closeParagraph();
      blocks.push({ kind: 'heading', level: match.level, text: match.text, start: lineStart, end: lineEnd });
    } else if (trimmed === '' && !inFence) {
      closeParagraph();
    } else if (trimmed !== '') {
      if (paragraphStart < 0) paragraphStart = lineStart + (line.length - line.trimStart().length);
      paragraphEnd = lineStart + line.trimEnd().length;
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  closeParagraph();
  return blocks;
}
