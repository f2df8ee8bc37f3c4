import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import { activateIndexVersion } from './activation.ts';
import { createIndexVersion } from './create-version.ts';
import type {
  activateIndexVersionRoute,
  createIndexVersionRoute,
  indexVersionSchema,
  listIndexVersionsRoute,
} from './index-versions.routes.ts';
import { type IndexVersionWithProgress, listIndexVersions } from './list-versions.ts';

const toIndexVersionResponse = (version: IndexVersionWithProgress): z.input<typeof indexVersionSchema> => ({
  id: version.id,
  state: version.state,
  embedding: version.embedding,
  chunking: version.chunking,
  auto_activate: version.autoActivate,
  vector_indexed: version.vectorIndexed,
  chunk_count: version.chunkCount,
  progress: {
    documents_total: version.progress.documentsTotal,
    documents_done: version.progress.documentsDone,
    jobs_pending: version.progress.jobsPending,
    jobs_dead: version.progress.jobsDead,
  },
  created_at: version.createdAt.toISOString(),
  activated_at: version.activatedAt?.toISOString() ?? null,
  retired_at: version.retiredAt?.toISOString() ?? null,
  purged_at: version.purgedAt?.toISOString() ?? null,
});

export const createIndexVersionHandler: RouteHandler<typeof createIndexVersionRoute, AuthedEnv> = async (
  c,
) => {
  const body = c.req.valid('json');
  const version = await createIndexVersion(
    c.get('deps'),
    {
      embeddingModel: body.embedding_model,
      dimensions: body.dimensions,
      chunkSize: body.chunk_size,
      chunkOverlap: body.chunk_overlap,
      autoActivate: body.auto_activate,
    },
    callMeta(c, '/admin/index/versions'),
  );
  return c.json(toIndexVersionResponse(version), 202);
};

export const listIndexVersionsHandler: RouteHandler<typeof listIndexVersionsRoute, AuthedEnv> = async (c) => {
  const versions = await listIndexVersions(c.get('deps'));
  return c.json({ items: versions.map(toIndexVersionResponse) }, 200);
};

export const activateIndexVersionHandler: RouteHandler<typeof activateIndexVersionRoute, AuthedEnv> = async (
  c,
) => {
  const version = await activateIndexVersion(c.get('deps'), c.req.valid('param').id, {
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
  });
  return c.json(toIndexVersionResponse(version), 200);
};
