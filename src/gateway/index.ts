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
import { openAiErrorHandler } from './v1/openai-error.handlers.ts';

export const analyzeRouter = createRouter();
analyzeRouter.use('/analyze', modelCallHeaders());
analyzeRouter.openapi(analyzeTextRoute, analyzeTextHandler);

/** The OpenAI-compatible surface: its errors, the guards' included, render in OpenAI's shape. */
export const v1Router = createRouter();
v1Router.onError(openAiErrorHandler);
v1Router.use('/v1/chat/completions', modelCallHeaders());
v1Router.use('/v1/embeddings', modelCallHeaders());
v1Router
  .openapi(createChatCompletionRoute, createChatCompletionHandler)
  .openapi(createEmbeddingsRoute, createEmbeddingsHandler)
  .openapi(listModelsRoute, listModelsHandler);
