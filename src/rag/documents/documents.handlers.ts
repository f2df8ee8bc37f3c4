import type { RouteHandler } from '@hono/zod-openapi';
import { unsupportedMediaType } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { deleteDocument } from './delete-document.ts';
import type {
  deleteDocumentRoute,
  getDocumentRoute,
  listDocumentsRoute,
  uploadDocumentRoute,
} from './documents.routes.ts';
import { getDocument } from './get-document.ts';
import { listDocuments } from './list-documents.ts';
import { type Upload, uploadDocument } from './upload-document.ts';

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
          metadata: body.metadata,
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
  const response = {
    document_id: result.document.id,
    job_id: result.created ? result.jobId : null,
    status: result.document.status,
    document: result.document,
  };
  return result.created ? c.json(response, 202) : c.json(response, 200);
};

export const listDocumentsHandler: RouteHandler<typeof listDocumentsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listDocuments(c.get('deps'), { ownerId: c.get('principal').userId, ...query });
  return c.json({ items: page.items, next_cursor: page.nextCursor }, 200);
};

export const getDocumentHandler: RouteHandler<typeof getDocumentRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(await getDocument(c.get('deps'), { ownerId: c.get('principal').userId, id }), 200);
};

export const deleteDocumentHandler: RouteHandler<typeof deleteDocumentRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  await deleteDocument(c.get('deps'), { ownerId: c.get('principal').userId, id });
  return c.body(null, 204);
};
