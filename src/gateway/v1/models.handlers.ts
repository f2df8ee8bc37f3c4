import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { ModelInfo } from '../../llm/llm-client.ts';
import type { listModelsRoute, modelListSchema } from './models.routes.ts';

const toModelList = (models: ModelInfo[], provider: string): z.input<typeof modelListSchema> => ({
  object: 'list',
  data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: provider })),
});

export const listModelsHandler: RouteHandler<typeof listModelsRoute, AuthedEnv> = (c) => {
  const { llm } = c.get('deps');
  return c.json(toModelList(llm.models(), llm.provider), 200);
};
