import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import type { indexVersionRefSchema } from '../rag.schemas.ts';
import type { searchResponseSchema, searchRoute } from './search.routes.ts';
import { type IndexVersionRef, type SearchPage, searchChunks } from './search-chunks.ts';

/** The index version that answered, as search and chat responses name it. */
export const toIndexVersionRefResponse = (
  version: IndexVersionRef,
): z.input<typeof indexVersionRefSchema> => ({
  id: version.id,
  embedding_model: version.embeddingModel,
  dimensions: version.dimensions,
});

const toSearchResponse = (page: SearchPage): z.input<typeof searchResponseSchema> => ({
  index_version: toIndexVersionRefResponse(page.indexVersion),
  mode: page.mode,
  group_by: page.groupBy,
  results: page.results.map((hit) => ({
    chunk_id: hit.chunkId,
    document_id: hit.documentId,
    document_title: hit.documentTitle,
    text: hit.text,
    score: hit.score,
    heading_path: hit.headingPath,
    char_start: hit.charStart,
    char_end: hit.charEnd,
    ...(hit.chunks && {
      chunks: hit.chunks.map((chunk) => ({
        chunk_id: chunk.chunkId,
        text: chunk.text,
        score: chunk.score,
        heading_path: chunk.headingPath,
        char_start: chunk.charStart,
        char_end: chunk.charEnd,
      })),
    }),
  })),
  next_cursor: page.nextCursor,
});

export const searchHandler: RouteHandler<typeof searchRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const page = await searchChunks(c.get('deps'), {
    ownerId: c.get('principal').userId,
    query: body.query,
    topK: body.top_k,
    mode: body.mode,
    groupBy: body.group_by,
    cursor: body.cursor,
    documentIds: body.filters?.document_ids,
    metadata: body.filters?.metadata,
    meta: callMeta(c, '/search'),
  });
  return c.json(toSearchResponse(page), 200);
};
