import { createRouter } from '../http/create-router.ts';
import { chatHandler } from './chat/chat.handlers.ts';
import { chatRoute } from './chat/chat.routes.ts';
import {
  deleteConversationHandler,
  getConversationHandler,
  listConversationsHandler,
} from './conversations/conversations.handlers.ts';
import {
  deleteConversationRoute,
  getConversationRoute,
  listConversationsRoute,
} from './conversations/conversations.routes.ts';
import {
  deleteDocumentHandler,
  getDocumentHandler,
  listDocumentsHandler,
  uploadDocumentHandler,
} from './documents/documents.handlers.ts';
import {
  deleteDocumentRoute,
  getDocumentRoute,
  listDocumentsRoute,
  uploadDocumentRoute,
} from './documents/documents.routes.ts';
import {
  activateIndexVersionHandler,
  createIndexVersionHandler,
  listIndexVersionsHandler,
} from './index-versions/index-versions.handlers.ts';
import {
  activateIndexVersionRoute,
  createIndexVersionRoute,
  listIndexVersionsRoute,
} from './index-versions/index-versions.routes.ts';
import { searchHandler } from './search/search.handlers.ts';
import { searchRoute } from './search/search.routes.ts';

export const ragRouter = createRouter()
  .openapi(uploadDocumentRoute, uploadDocumentHandler)
  .openapi(listDocumentsRoute, listDocumentsHandler)
  .openapi(getDocumentRoute, getDocumentHandler)
  .openapi(deleteDocumentRoute, deleteDocumentHandler)
  .openapi(searchRoute, searchHandler)
  .openapi(chatRoute, chatHandler)
  .openapi(listConversationsRoute, listConversationsHandler)
  .openapi(getConversationRoute, getConversationHandler)
  .openapi(deleteConversationRoute, deleteConversationHandler)
  .openapi(createIndexVersionRoute, createIndexVersionHandler)
  .openapi(listIndexVersionsRoute, listIndexVersionsHandler)
  .openapi(activateIndexVersionRoute, activateIndexVersionHandler);
