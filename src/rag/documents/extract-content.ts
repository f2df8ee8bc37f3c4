import { documentMimeTypes } from '../../db/tables/rag.ts';
import { unsupportedMediaType, validationFailed } from '../../errors.ts';
import { htmlToText } from './html-to-text.ts';

export type DocumentMimeType = (typeof documentMimeTypes)[number];

const byExtension: Record<string, DocumentMimeType> = {
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
};

const unprocessable = (pointer: string, detail: string) =>
  validationFailed(detail, [{ pointer, detail }], 422);

/** The type of an uploaded file, from its extension (browsers often send generic part types); 415 otherwise. */
export function mimeTypeOfFile(name: string, partType: string): DocumentMimeType {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  const fromName = extension ? byExtension[extension] : undefined;
  const fromPart = documentMimeTypes.find((t) => partType.toLowerCase().startsWith(t));
  const type = fromName ?? fromPart;
  if (!type) {
    throw unsupportedMediaType(`"${name}" is not a supported document; upload .txt, .md or .html files.`);
  }
  return type;
}

/** Strict UTF-8 (a leading BOM dropped); bytes that are not text are 422. */
export function decodeText(bytes: Uint8Array, pointer: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw unprocessable(pointer, 'The file is not valid UTF-8 text.');
  }
  if (text.includes('\u0000')) throw unprocessable(pointer, 'The file contains binary data, not text.');
  return text;
}

/**
 * The text that gets chunked and stored: HTML reduced to Markdown-like text (headings kept),
 * line endings normalised. Empty results are 422. Returns the HTML <title> too.
 */
export function extractContent(
  raw: string,
  mimeType: DocumentMimeType,
  pointer: string,
): { text: string; title: string | undefined } {
  const normalised = raw.replace(/\r\n?/g, '\n');
  const { text, title } =
    mimeType === 'text/html' ? htmlToText(normalised) : { text: normalised.trim(), title: undefined };
  if (text.trim().length === 0) throw unprocessable(pointer, 'The document has no text content.');
  return { text, title };
}
