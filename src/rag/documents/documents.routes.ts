import { createRoute, z } from '@hono/zod-openapi';
import { documentMimeTypes, documentStatuses } from '../../db/tables/rag.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';
import { chunkOverlapSchema, chunkSizeSchema, metadataSchema } from '../rag.schemas.ts';
import { SOURCE_MAX_BYTES, SOURCE_MAX_CHARS, TITLE_MAX_CHARS } from './document-limits.ts';

const metadata = metadataSchema.openapi({ example: { team: 'docs', lang: 'en' } });

const titleField = safeString().trim().min(1).max(TITLE_MAX_CHARS);

const sourceField = safeString()
  .trim()
  .min(1)
  .max(SOURCE_MAX_CHARS)
  .refine(
    (source) => new TextEncoder().encode(source).length <= SOURCE_MAX_BYTES,
    `must be at most ${SOURCE_MAX_BYTES} bytes of UTF-8`,
  );

const jsonUploadSchema = z
  .object({
    title: titleField.openapi({ example: 'Partial indexes' }),
    content: safeString()
      .min(1)
      .openapi({ example: 'A partial index is an index built over a subset of a table.' }),
    mime_type: z.enum(documentMimeTypes).default('text/plain'),
    source: sourceField.optional().openapi({
      description: 'Your identifier for the document; a new upload with the same source replaces it.',
    }),
    metadata: metadata.optional(),
    chunking: z.object({ size: chunkSizeSchema, overlap: chunkOverlapSchema.optional() }).optional(),
  })
  .openapi('DocumentUpload', {
    example: {
      title: 'Partial indexes',
      content: 'A partial index is an index built over a subset of a table.',
      mime_type: 'text/plain',
      metadata: { team: 'docs', lang: 'en' },
    },
  });

const fileField = z
  .custom<File>((v) => typeof File !== 'undefined' && v instanceof File, 'must be a file')
  .openapi({
    type: 'string',
    format: 'binary',
    description: `.txt, .md or .html, UTF-8; its name (at most ${SOURCE_MAX_CHARS} characters) is the default source`,
  });

const formUploadSchema = z
  .object({
    file: fileField,
    title: titleField.optional(),
    source: sourceField.optional(),
    metadata: z.string().optional().openapi({ description: 'A JSON object' }),
    chunk_size: z.coerce.number().int().pipe(chunkSizeSchema).optional(),
    chunk_overlap: z.coerce.number().int().pipe(chunkOverlapSchema).optional(),
  })
  .openapi('DocumentFileUpload');

export const documentSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    source: z.string().nullable(),
    mime_type: z.enum(documentMimeTypes),
    content_hash: z.string(),
    status: z.enum(documentStatuses),
    error: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    chunking: z.object({ size: z.number().int(), overlap: z.number().int() }).nullable(),
    chunk_count: z.number().int(),
    progress: z.object({
      chunks_total: z.number().int(),
      chunks_embedded: z.number().int(),
      ratio: z.number().min(0).max(1),
    }),
    created_at: z.string(),
    updated_at: z.string(),
    ingested_at: z.string().nullable(),
  })
  .openapi('Document');

export const uploadResultSchema = z
  .object({
    document_id: z.uuid(),
    job_id: z.uuid().nullable(),
    status: z.enum(documentStatuses),
    document: documentSchema,
  })
  .openapi('DocumentUploadResult');

const idParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

export const uploadDocumentRoute = createRoute({
  method: 'post',
  path: '/documents',
  operationId: 'uploadDocument',
  tags: ['documents'],
  summary: 'Upload a document (JSON text or a .txt/.md/.html file) and queue its ingestion',
  ...guarded({
    routeClass: 'write',
    idempotent: true,
    bodyLimit: (config) => config.DOCUMENT_MAX_BYTES,
    quota: 'storage',
  }),
  request: {
    // Not `required`: that would run both validators on every request; each runs for its own type.
    body: {
      content: {
        'application/json': { schema: jsonUploadSchema },
        'multipart/form-data': { schema: formUploadSchema },
      },
    },
  },
  responses: {
    202: jsonResponse(uploadResultSchema, 'Stored; ingestion queued'),
    200: jsonResponse(
      uploadResultSchema,
      'The same content was already uploaded: the existing document, no new job',
    ),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const listDocumentsRoute = createRoute({
  method: 'get',
  path: '/documents',
  operationId: 'listDocuments',
  tags: ['documents'],
  summary: "The caller's documents, newest first",
  ...guarded({ routeClass: 'read' }),
  request: {
    query: pageQuerySchema.extend({ status: z.enum(documentStatuses).optional() }),
  },
  responses: {
    200: jsonResponse(pageSchema(documentSchema, 'DocumentPage'), 'A page of documents'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const getDocumentRoute = createRoute({
  method: 'get',
  path: '/documents/{id}',
  operationId: 'getDocument',
  tags: ['documents'],
  summary: 'A document with its ingestion status and progress',
  ...guarded({ routeClass: 'read' }),
  request: { params: idParam },
  responses: {
    200: jsonResponse(documentSchema, 'The document'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const deleteDocumentRoute = createRoute({
  method: 'delete',
  path: '/documents/{id}',
  operationId: 'deleteDocument',
  tags: ['documents'],
  summary: 'Delete a document with its chunks and vectors',
  ...guarded({ routeClass: 'write' }),
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...authErrorResponses, ...problemResponses },
});
