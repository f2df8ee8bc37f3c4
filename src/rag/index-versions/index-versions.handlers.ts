import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { activateIndexVersion } from './activate-version.ts';
import { createIndexVersion } from './create-version.ts';
import type { activateVersionRoute, createVersionRoute, listVersionsRoute } from './index-versions.routes.ts';
import { listIndexVersions } from './list-versions.ts';

export const createVersionHandler: RouteHandler<typeof createVersionRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const deps = c.get('deps');
  const version = await createIndexVersion(
    deps,
    {
      embeddingModel: body.embedding_model,
      dimensions: body.dimensions,
      chunkSize: body.chunk_size,
      chunkOverlap: body.chunk_overlap,
      autoActivate: body.auto_activate,
    },
    { requestId: c.get('requestId'), userId: c.get('principal').userId },
  );
  const [view] = await listIndexVersions(deps, version.id);
  return c.json(view!, 202);
};

export const listVersionsHandler: RouteHandler<typeof listVersionsRoute, AuthedEnv> = async (c) =>
  c.json({ items: await listIndexVersions(c.get('deps')) }, 200);

export const activateVersionHandler: RouteHandler<typeof activateVersionRoute, AuthedEnv> = async (c) =>
  c.json(await activateIndexVersion(c.get('deps'), c.req.valid('param').id), 200);
