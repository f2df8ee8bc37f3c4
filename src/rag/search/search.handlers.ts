import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { searchRoute } from './search.routes.ts';
import { searchChunks } from './search-chunks.ts';
import { searchPageView } from './search-view.ts';

export const searchHandler: RouteHandler<typeof searchRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const userId = c.get('principal').userId;
  const page = await searchChunks(c.get('deps'), {
    ownerId: userId,
    query: body.query,
    topK: body.top_k,
    mode: body.mode,
    cursor: body.cursor,
    documentIds: body.filters?.document_ids,
    metadata: body.filters?.metadata,
    meta: { requestId: c.get('requestId'), userId, route: '/search' },
  });
  return c.json(searchPageView(page), 200);
};
