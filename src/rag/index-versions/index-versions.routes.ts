import { createRoute, z } from '@hono/zod-openapi';
import { indexVersionStates } from '../../db/tables/rag.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { safeString } from '../../http/text-safety.ts';
import { chunkOverlapSchema, chunkSizeSchema } from '../rag.schemas.ts';

export const indexVersionSchema = z
  .object({
    id: z.number().int(),
    state: z.enum(indexVersionStates),
    embedding: z.object({ provider: z.string(), model: z.string(), dimensions: z.number().int() }),
    chunking: z.object({ size: z.number().int(), overlap: z.number().int() }),
    auto_activate: z.boolean(),
    vector_indexed: z.boolean().openapi({ description: 'Whether its HNSW index is built' }),
    chunk_count: z.number().int(),
    progress: z.object({
      documents_total: z.number().int(),
      documents_done: z.number().int(),
      jobs_pending: z.number().int(),
      jobs_dead: z.number().int(),
    }),
    created_at: z.string(),
    activated_at: z.string().nullable(),
    retired_at: z.string().nullable(),
    purged_at: z.string().nullable(),
  })
  .openapi('IndexVersion');

const indexVersionListSchema = z.object({ items: z.array(indexVersionSchema) }).openapi('IndexVersionList');

export const createIndexVersionRoute = createRoute({
  method: 'post',
  path: '/admin/index/versions',
  operationId: 'createIndexVersion',
  tags: ['admin'],
  summary: 'Create an index version with new embedding or chunking settings and rebuild it in the background',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              embedding_model: safeString().min(1).max(200).optional(),
              dimensions: z.number().int().min(1).max(16000).optional(),
              chunk_size: chunkSizeSchema.optional(),
              chunk_overlap: chunkOverlapSchema.optional(),
              auto_activate: z.boolean().default(true).openapi({
                description: 'Switch to it as soon as every document is ingested (else POST .../activate)',
              }),
            })
            .openapi('IndexVersionRequest', {
              example: {
                embedding_model: 'text-embedding-3-small',
                dimensions: 1536,
                chunk_size: 800,
                chunk_overlap: 100,
              },
            }),
        },
      },
    },
  },
  responses: {
    202: jsonResponse(indexVersionSchema, 'Created; rebuilding'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const listIndexVersionsRoute = createRoute({
  method: 'get',
  path: '/admin/index/versions',
  operationId: 'listIndexVersions',
  tags: ['admin'],
  summary: 'Index versions with their build progress',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  responses: {
    200: jsonResponse(indexVersionListSchema, 'All versions, newest first'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const activateIndexVersionRoute = createRoute({
  method: 'post',
  path: '/admin/index/versions/{id}/activate',
  operationId: 'activateIndexVersion',
  tags: ['admin'],
  summary: 'Switch searches to a building version now (one transaction); the active one is retired',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    params: z.object({
      // An index version id is an int4: a larger one cannot exist and would fail in SQL.
      id: z.coerce
        .number()
        .int()
        .positive()
        .max(2_147_483_647)
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
  },
  responses: {
    200: jsonResponse(indexVersionSchema, 'Now active'),
    ...authErrorResponses,
    ...problemResponses,
  },
});
