import { documentMimeTypes } from '../../db/tables/rag.ts';
import { unsupportedMediaType, validationFailed } from '../../errors.ts';
import { previewHtml } from './html-to-text.ts';

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
 * What an upload stores: line endings normalised, text trimmed, HTML as uploaded (the ingestion
 * job extracts its text, off the request path: that is the costly part). Returns the HTML
 * <title> too. Content that is certainly empty is 422; an HTML page longer than the part read
 * here may still turn out empty, and then its ingestion fails saying so.
 */
export function storedContent(
  raw: string,
  mimeType: DocumentMimeType,
  pointer: string,
): { content: string; title: string | undefined } {
  const normalised = raw.replace(/\r\n?/g, '\n');
  if (mimeType === 'text/html') {
    const { title, empty } = previewHtml(normalised);
    if (empty) throw unprocessable(pointer, 'The document has no text content.');
    return { content: normalised, title };
  }
  const content = normalised.trim();
  if (content.length === 0) throw unprocessable(pointer, 'The document has no text content.');
  return { content, title: undefined };
}
