import { createRouter } from '../http/create-router.ts';
import { analyzeTextHandler } from './analyze/analyze.handlers.ts';
import { analyzeTextRoute } from './analyze/analyze.routes.ts';
import { modelCallHeaders } from './model-call-headers.middleware.ts';
import { createChatCompletionHandler } from './v1/chat-completions.handlers.ts';
import { createChatCompletionRoute } from './v1/chat-completions.routes.ts';
import { createEmbeddingsHandler } from './v1/embeddings.handlers.ts';
import { createEmbeddingsRoute } from './v1/embeddings.routes.ts';
import { listModelsHandler } from './v1/models.handlers.ts';
import { listModelsRoute } from './v1/models.routes.ts';

export const analyzeRouter = createRouter();
analyzeRouter.use('/analyze', modelCallHeaders());
analyzeRouter.openapi(analyzeTextRoute, analyzeTextHandler);

/**
 * The OpenAI-compatible surface. Its errors, the guards' included, take OpenAI's shape in the app's
 * error handler (by path), not in a handler of this router's own: Hono would wrap each of the
 * route's middlewares in another composition on every request for it.
 */
export const v1Router = createRouter();
v1Router.use('/v1/chat/completions', modelCallHeaders());
v1Router.use('/v1/embeddings', modelCallHeaders());
v1Router
  .openapi(createChatCompletionRoute, createChatCompletionHandler)
  .openapi(createEmbeddingsRoute, createEmbeddingsHandler)
  .openapi(listModelsRoute, listModelsHandler);
