import { createRoute, z } from '@hono/zod-openapi';
import { quotaDemands } from '../../billing/quotas/quota-demands.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { safeString, withSafeText } from '../../http/text-safety.ts';
import { indexVersionRefSchema, searchFiltersSchema, searchModeSchema } from '../rag.schemas.ts';
import { CHUNKS_PER_DOCUMENT, searchGroupings } from './search-query.ts';

const groupBySchema = z.enum(searchGroupings).openapi({
  description: `chunk: one result per chunk. document: one result per document (its best chunk's fields, scored by the document), with its best ${CHUNKS_PER_DOCUMENT} chunks in \`chunks\``,
});

const searchRequestSchema = z
  .object({
    query: safeString().trim().min(1).max(2000).openapi({ example: 'How do I create a partial index?' }),
    top_k: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(10)
      .openapi({ description: 'At most RAG_SEARCH_TOP_K_MAX (results: chunks, or documents when grouped)' }),
    mode: searchModeSchema.default('hybrid'),
    group_by: groupBySchema.default('chunk'),
    cursor: safeString().max(1000).optional().openapi({ description: 'next_cursor of the previous page' }),
    filters: withSafeText(searchFiltersSchema).optional(),
  })
  .openapi('SearchRequest', {
    example: { query: 'How do I create a partial index?', top_k: 5, mode: 'hybrid' },
  });

const documentChunkSchema = z
  .object({
    chunk_id: z.number().int(),
    text: z.string(),
    score: z.number(),
    heading_path: z.array(z.string()),
    char_start: z.number().int(),
    char_end: z.number().int(),
  })
  .openapi('SearchDocumentChunk');

const searchResultSchema = z
  .object({
    chunk_id: z.number().int(),
    document_id: z.uuid(),
    document_title: z.string(),
    text: z.string(),
    score: z.number(),
    heading_path: z.array(z.string()),
    char_start: z.number().int(),
    char_end: z.number().int(),
    chunks: z.array(documentChunkSchema).optional().openapi({
      description: "group_by document: the document's best chunks, best first (the result's own chunk first)",
    }),
  })
  .openapi('SearchResult');

export const searchResponseSchema = z
  .object({
    index_version: indexVersionRefSchema,
    mode: searchModeSchema,
    group_by: groupBySchema,
    results: z.array(searchResultSchema),
    next_cursor: z.string().nullable(),
  })
  .openapi('SearchResponse');

export const searchRoute = createRoute({
  method: 'post',
  path: '/search',
  operationId: 'search',
  tags: ['search'],
  summary: "Rank the caller's chunks or documents for a query: vector, full-text, or hybrid (RRF)",
  ...guarded({ routeClass: 'model', quota: quotaDemands.search }),
  request: { body: { required: true, content: { 'application/json': { schema: searchRequestSchema } } } },
  responses: {
    200: {
      description: 'One page of results',
      content: { 'application/json': { schema: searchResponseSchema } },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});
