import type { Deps } from '../../deps.ts';
import { validationFailed } from '../../errors.ts';
import { textProblem } from '../../http/text-safety.ts';
import { capText } from '../chunking/cap-text.ts';
import { type ChunkingSettings, maxChunkOverlap } from '../chunking/chunk-text.ts';
import { type CreateDocumentResult, createDocument } from './create-document.ts';
import { SOURCE_MAX_BYTES, SOURCE_MAX_CHARS, TITLE_MAX_CHARS } from './document-limits.ts';
import { type DocumentMimeType, decodeText, mimeTypeOfFile, storedContent } from './extract-content.ts';

export type Upload =
  | {
      kind: 'text';
      title: string;
      content: string;
      mimeType: DocumentMimeType;
      source?: string | undefined;
      metadata?: Record<string, unknown> | undefined;
      chunking?: { size: number; overlap?: number | undefined } | undefined;
    }
  | {
      kind: 'file';
      file: { name: string; type: string; bytes: Uint8Array };
      title?: string | undefined;
      source?: string | undefined;
      metadata?: Record<string, unknown> | undefined;
      chunking?: { size?: number | undefined; overlap?: number | undefined } | undefined;
    };

const unprocessable = (pointer: string, detail: string) =>
  validationFailed(detail, [{ pointer, detail }], 422);

/** A partial override takes the other half from the configured defaults; the overlap stays within maxChunkOverlap. */
function chunking(
  deps: Deps,
  given: { size?: number | undefined; overlap?: number | undefined } | undefined,
  pointer: string,
): ChunkingSettings | undefined {
  if (!given || (given.size === undefined && given.overlap === undefined)) return undefined;
  const size = given.size ?? deps.config.RAG_CHUNK_SIZE;
  const overlap = given.overlap ?? Math.min(deps.config.RAG_CHUNK_OVERLAP, maxChunkOverlap(size));
  if (overlap > maxChunkOverlap(size)) {
    throw unprocessable(
      pointer,
      `The chunk overlap (${overlap}) must be at most a quarter of the chunk size (${size}): ${maxChunkOverlap(size)}.`,
    );
  }
  return { size, overlap };
}

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** The uploaded file's name becomes the document's source: it gets the same checks and limits. */
function checkFileName(name: string) {
  const problem = textProblem(name);
  if (problem) throw unprocessable('/body/file', `The file name ${problem}.`);
  if (name.length > SOURCE_MAX_CHARS || utf8Bytes(name) > SOURCE_MAX_BYTES) {
    throw unprocessable(
      '/body/file',
      `The file name must be at most ${SOURCE_MAX_CHARS} characters (${SOURCE_MAX_BYTES} bytes of UTF-8).`,
    );
  }
}

const baseName = (name: string) => name.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '') || name;

/**
 * Turns a JSON body or an uploaded file into a document and queues its ingestion. A title taken
 * from the page or the file name is cut to TITLE_MAX_CHARS; one given explicitly is checked by
 * the route's schema.
 */
export async function uploadDocument(
  deps: Deps,
  ownerId: string,
  upload: Upload,
): Promise<CreateDocumentResult> {
  if (upload.kind === 'text') {
    const settings = chunking(deps, upload.chunking, '/body/chunking/overlap');
    const { content, title } = storedContent(upload.content, upload.mimeType, '/body/content');
    return createDocument(deps, {
      ownerId,
      title: upload.title || title || 'Untitled',
      content,
      mimeType: upload.mimeType,
      source: upload.source,
      metadata: upload.metadata,
      chunking: settings,
    });
  }
  const { file } = upload;
  checkFileName(file.name);
  const settings = chunking(deps, upload.chunking, '/body/chunk_overlap');
  const mimeType = mimeTypeOfFile(file.name, file.type);
  const { content, title } = storedContent(decodeText(file.bytes, '/body/file'), mimeType, '/body/file');
  return createDocument(deps, {
    ownerId,
    title: upload.title || title || capText(baseName(file.name), TITLE_MAX_CHARS),
    content,
    mimeType,
    // Re-uploading a changed file under the same name replaces it.
    source: upload.source ?? file.name,
    metadata: upload.metadata,
    chunking: settings,
  });
}
