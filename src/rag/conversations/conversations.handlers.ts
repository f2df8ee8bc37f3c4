import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { getConversationRoute, listConversationsRoute } from './conversations.routes.ts';
import { getConversation, listConversations } from './conversations.ts';

export const listConversationsHandler: RouteHandler<typeof listConversationsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  return c.json(
    await listConversations(c.get('deps'), { ownerId: c.get('principal').userId, ...query }),
    200,
  );
};

export const getConversationHandler: RouteHandler<typeof getConversationRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(await getConversation(c.get('deps'), { ownerId: c.get('principal').userId, id }), 200);
};
