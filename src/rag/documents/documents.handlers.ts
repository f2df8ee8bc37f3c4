import type { RouteHandler, z } from '@hono/zod-openapi';
import { badRequest, unsupportedMediaType } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { metadataSchema } from '../rag.schemas.ts';
import type { CreateDocumentResult } from './create-document.ts';
import { deleteDocument } from './delete-document.ts';
import type { DocumentRecord } from './document-record.ts';
import type {
  deleteDocumentRoute,
  documentSchema,
  getDocumentRoute,
  listDocumentsRoute,
  uploadDocumentRoute,
  uploadResultSchema,
} from './documents.routes.ts';
import { getDocument } from './get-document.ts';
import { listDocuments } from './list-documents.ts';
import { type Upload, uploadDocument } from './upload-document.ts';

// The content is never shown: it can be megabytes.
const toDocumentResponse = (doc: DocumentRecord): z.input<typeof documentSchema> => ({
  id: doc.id,
  title: doc.title,
  source: doc.source,
  mime_type: doc.mimeType,
  content_hash: doc.contentHash,
  status: doc.status,
  error: doc.error,
  metadata: doc.metadata,
  chunking: doc.chunkSize === null ? null : { size: doc.chunkSize, overlap: doc.chunkOverlap ?? 0 },
  chunk_count: doc.chunkCount,
  progress: {
    chunks_total: doc.chunksTotal,
    chunks_embedded: doc.chunksEmbedded,
    ratio: doc.status === 'ready' ? 1 : doc.chunksTotal === 0 ? 0 : doc.chunksEmbedded / doc.chunksTotal,
  },
  created_at: doc.createdAt.toISOString(),
  updated_at: doc.updatedAt.toISOString(),
  ingested_at: doc.ingestedAt?.toISOString() ?? null,
});

const toUploadResponse = (result: CreateDocumentResult): z.input<typeof uploadResultSchema> => ({
  document_id: result.document.id,
  job_id: result.created ? result.jobId : null,
  status: result.document.status,
  document: toDocumentResponse(result.document),
});

// Multipart fields are strings: the metadata field carries a JSON object.
function parseMetadataField(text: string) {
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

export const uploadDocumentHandler: RouteHandler<typeof uploadDocumentRoute, AuthedEnv> = async (c) => {
  const contentType = (c.req.header('content-type') ?? '').toLowerCase();
  const isForm =
    contentType.startsWith('multipart/form-data') || contentType.startsWith('application/x-www-form');
  if (!isForm && !contentType.includes('json')) {
    throw unsupportedMediaType(
      'Send the document as application/json or as a multipart/form-data file upload.',
    );
  }
  const body = isForm ? c.req.valid('form') : c.req.valid('json');
  const upload: Upload =
    'file' in body
      ? {
          kind: 'file',
          file: {
            name: body.file.name,
            type: body.file.type,
            bytes: new Uint8Array(await body.file.arrayBuffer()),
          },
          title: body.title,
          source: body.source,
          metadata: body.metadata === undefined ? undefined : parseMetadataField(body.metadata),
          chunking: { size: body.chunk_size, overlap: body.chunk_overlap },
        }
      : {
          kind: 'text',
          title: body.title,
          content: body.content,
          mimeType: body.mime_type,
          source: body.source,
          metadata: body.metadata,
          chunking: body.chunking,
        };
  const result = await uploadDocument(c.get('deps'), c.get('principal').userId, upload);
  return result.created ? c.json(toUploadResponse(result), 202) : c.json(toUploadResponse(result), 200);
};

export const listDocumentsHandler: RouteHandler<typeof listDocumentsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listDocuments(c.get('deps'), { ownerId: c.get('principal').userId, ...query });
  return c.json(toPageResponse(page, toDocumentResponse), 200);
};

export const getDocumentHandler: RouteHandler<typeof getDocumentRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const document = await getDocument(c.get('deps'), { ownerId: c.get('principal').userId, id });
  return c.json(toDocumentResponse(document), 200);
};

export const deleteDocumentHandler: RouteHandler<typeof deleteDocumentRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  await deleteDocument(c.get('deps'), { ownerId: c.get('principal').userId, id });
  return c.body(null, 204);
};
