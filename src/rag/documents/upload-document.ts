import type { Deps } from '../../deps.ts';
import type { ChunkingSettings } from '../chunking/chunk-text.ts';
import { type CreateDocumentResult, createDocument } from './create-document.ts';
import { type DocumentMimeType, decodeText, extractContent, mimeTypeOfFile } from './extract-content.ts';

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

// A partial override takes the other half from the configured defaults.
function chunking(
  deps: Deps,
  given: { size?: number | undefined; overlap?: number | undefined } | undefined,
) {
  if (!given || (given.size === undefined && given.overlap === undefined)) return undefined;
  const size = given.size ?? deps.config.RAG_CHUNK_SIZE;
  return {
    size,
    overlap: given.overlap ?? Math.min(deps.config.RAG_CHUNK_OVERLAP, size - 1),
  } satisfies ChunkingSettings;
}

const baseName = (name: string) => name.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '') || name;

/** Turns a JSON body or an uploaded file into a document and queues its ingestion. */
export async function uploadDocument(
  deps: Deps,
  ownerId: string,
  upload: Upload,
): Promise<CreateDocumentResult> {
  if (upload.kind === 'text') {
    const { text, title } = extractContent(upload.content, upload.mimeType, '/body/content');
    return createDocument(deps, {
      ownerId,
      title: upload.title || title || 'Untitled',
      content: text,
      mimeType: upload.mimeType,
      source: upload.source,
      metadata: upload.metadata,
      chunking: chunking(deps, upload.chunking),
    });
  }
  const { file } = upload;
  const mimeType = mimeTypeOfFile(file.name, file.type);
  const { text, title } = extractContent(decodeText(file.bytes, '/body/file'), mimeType, '/body/file');
  return createDocument(deps, {
    ownerId,
    title: upload.title || title || baseName(file.name),
    content: text,
    mimeType,
    // Re-uploading a changed file under the same name replaces it.
    source: upload.source ?? file.name,
    metadata: upload.metadata,
    chunking: chunking(deps, upload.chunking),
  });
}
