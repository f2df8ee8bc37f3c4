import { createRouter } from '../http/create-router.ts';
import { createApiKeyHandler, listApiKeysHandler, revokeApiKeyHandler } from './api-keys.handlers.ts';
import { createApiKeyRoute, listApiKeysRoute, revokeApiKeyRoute } from './api-keys.routes.ts';
import { getMeHandler } from './me.handlers.ts';
import { getMeRoute } from './me.routes.ts';

export const authRouter = createRouter()
  .openapi(getMeRoute, getMeHandler)
  .openapi(createApiKeyRoute, createApiKeyHandler)
  .openapi(listApiKeysRoute, listApiKeysHandler)
  .openapi(revokeApiKeyRoute, revokeApiKeyHandler);
