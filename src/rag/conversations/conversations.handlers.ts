import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { toCitationResponse } from '../chat/chat.handlers.ts';
import type { Conversation } from './conversation-store.ts';
import type {
  conversationDetailSchema,
  conversationSchema,
  deleteConversationRoute,
  getConversationRoute,
  listConversationsRoute,
} from './conversations.routes.ts';
import {
  type ConversationWithMessages,
  deleteConversation,
  getConversation,
  listConversations,
} from './conversations.ts';

const toConversationResponse = (conversation: Conversation): z.input<typeof conversationSchema> => ({
  id: conversation.id,
  title: conversation.title,
  created_at: conversation.createdAt.toISOString(),
  updated_at: conversation.updatedAt.toISOString(),
});

const toConversationDetailResponse = (
  conversation: ConversationWithMessages,
): z.input<typeof conversationDetailSchema> => ({
  ...toConversationResponse(conversation),
  messages: conversation.messages.map((m) => ({
    id: m.id,
    role: m.role,
    content: m.content,
    citations: m.citations.map(toCitationResponse),
    model: m.model,
    created_at: m.createdAt.toISOString(),
  })),
});

export const listConversationsHandler: RouteHandler<typeof listConversationsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listConversations(c.get('deps'), { ownerId: c.get('principal').userId, ...query });
  return c.json(toPageResponse(page, toConversationResponse), 200);
};

export const getConversationHandler: RouteHandler<typeof getConversationRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const conversation = await getConversation(c.get('deps'), { ownerId: c.get('principal').userId, id });
  return c.json(toConversationDetailResponse(conversation), 200);
};

export const deleteConversationHandler: RouteHandler<typeof deleteConversationRoute, AuthedEnv> = async (
  c,
) => {
  const { id } = c.req.valid('param');
  await deleteConversation(c.get('deps'), { ownerId: c.get('principal').userId, id });
  return c.body(null, 204);
};
