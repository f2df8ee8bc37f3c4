import { createRouter } from '../http/create-router.ts';
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
import { searchHandler } from './search/search.handlers.ts';
import { searchRoute } from './search/search.routes.ts';

export const ragRouter = createRouter()
  .openapi(uploadDocumentRoute, uploadDocumentHandler)
  .openapi(listDocumentsRoute, listDocumentsHandler)
  .openapi(getDocumentRoute, getDocumentHandler)
  .openapi(deleteDocumentRoute, deleteDocumentHandler)
  .openapi(searchRoute, searchHandler);
