/** A span of the document text: a heading (with its level) or a paragraph. Offsets are UTF-16 indexes. */
export type Block =
  | { kind: 'heading'; level: number; text: string; start: number; end: number }
  | { kind: 'paragraph'; start: number; end: number };

const heading = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const fence = /^(```|~~~)/;

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
    const match = format === 'markdown' && !inFence ? heading.exec(trimmed) : null;
    if (match) {
      closeParagraph();
      blocks.push({
        kind: 'heading',
        level: match[1]!.length,
        text: match[2]!,
        start: lineStart,
        end: lineEnd,
      });
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
