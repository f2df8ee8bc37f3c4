import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { badRequest } from '../../errors.ts';
import type { ChunkingSettings } from '../chunking/chunk-text.ts';
import { type CreateDocumentResult, createDocument } from './create-document.ts';
import { type DocumentMimeType, decodeText, extractContent, mimeTypeOfFile } from './extract-content.ts';

export const metadataSchema = z
  .record(z.string().min(1).max(100), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

export type Upload =
  | {
      kind: 'text';
      title: string;
      content: string;
      mimeType: DocumentMimeType;
      source?: string | undefined;
      metadata?: z.infer<typeof metadataSchema> | undefined;
      chunking?: { size: number; overlap?: number | undefined } | undefined;
    }
  | {
      kind: 'file';
      file: { name: string; type: string; bytes: Uint8Array };
      title?: string | undefined;
      source?: string | undefined;
      /** JSON text, as multipart fields are strings. */
      metadata?: string | undefined;
      chunking?: { size?: number | undefined; overlap?: number | undefined } | undefined;
    };

function parseMetadata(text: string) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('metadata must be a JSON object.', [
      { pointer: '/body/metadata', detail: 'invalid JSON' },
    ]);
  }
  const parsed = metadataSchema.safeParse(value);
  if (!parsed.success) {
    throw badRequest('metadata must be a JSON object of strings, numbers, booleans or nulls.', [
      { pointer: '/body/metadata', detail: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return parsed.data;
}

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
  const metadata = upload.metadata === undefined ? undefined : parseMetadata(upload.metadata);
  const { text, title } = extractContent(decodeText(file.bytes, '/body/file'), mimeType, '/body/file');
  return createDocument(deps, {
    ownerId,
    title: upload.title || title || baseName(file.name),
    content: text,
    mimeType,
    // Re-uploading a changed file under the same name replaces it.
    source: upload.source ?? file.name,
    metadata,
    chunking: chunking(deps, upload.chunking),
  });
}
