import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { safeString, withSafeText } from '../../http/text-safety.ts';
import { indexVersionRefSchema, searchFiltersSchema, searchModeSchema } from '../rag.schemas.ts';

const searchRequestSchema = z
  .object({
    query: safeString().trim().min(1).max(2000).openapi({ example: 'How do I create a partial index?' }),
    top_k: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(10)
      .openapi({ description: 'At most RAG_SEARCH_TOP_K_MAX' }),
    mode: searchModeSchema.default('hybrid'),
    cursor: safeString().max(1000).optional().openapi({ description: 'next_cursor of the previous page' }),
    filters: withSafeText(searchFiltersSchema).optional(),
  })
  .openapi('SearchRequest');

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
  })
  .openapi('SearchResult');

export const searchResponseSchema = z
  .object({
    index_version: indexVersionRefSchema,
    mode: searchModeSchema,
    results: z.array(searchResultSchema),
    next_cursor: z.string().nullable(),
  })
  .openapi('SearchResponse');

export const searchRoute = createRoute({
  method: 'post',
  path: '/search',
  tags: ['search'],
  summary: "Rank the caller's chunks for a query: vector, full-text, or hybrid (RRF)",
  ...guarded({ routeClass: 'model' }),
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
