import { createRoute, z } from '@hono/zod-openapi';
import { messageRoles } from '../../db/tables/rag.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { citationSchema } from '../rag.schemas.ts';

export const conversationSchema = z
  .object({ id: z.uuid(), title: z.string(), created_at: z.string(), updated_at: z.string() })
  .openapi('Conversation');

const messageSchema = z
  .object({
    id: z.number().int(),
    role: z.enum(messageRoles),
    content: z.string(),
    citations: z.array(citationSchema),
    model: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ConversationMessage');

export const conversationDetailSchema = conversationSchema
  .extend({ messages: z.array(messageSchema) })
  .openapi('ConversationDetail');

export const listConversationsRoute = createRoute({
  method: 'get',
  path: '/conversations',
  operationId: 'listConversations',
  tags: ['chat'],
  summary: "The caller's conversations, most recently active first",
  ...guarded({ routeClass: 'read' }),
  request: {
    query: pageQuerySchema,
  },
  responses: {
    200: {
      description: 'A page of conversations',
      content: { 'application/json': { schema: pageSchema(conversationSchema, 'ConversationPage') } },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const getConversationRoute = createRoute({
  method: 'get',
  path: '/conversations/{id}',
  operationId: 'getConversation',
  tags: ['chat'],
  summary: 'A conversation with its messages and citations',
  ...guarded({ routeClass: 'read' }),
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: {
      description: 'The conversation',
      content: { 'application/json': { schema: conversationDetailSchema } },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const deleteConversationRoute = createRoute({
  method: 'delete',
  path: '/conversations/{id}',
  operationId: 'deleteConversation',
  tags: ['chat'],
  summary: 'Delete a conversation with its messages',
  ...guarded({ routeClass: 'write' }),
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 204: { description: 'Deleted' }, ...authErrorResponses, ...problemResponses },
});
