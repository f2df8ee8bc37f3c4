import { createRouter } from '../http/create-router.ts';
import { analyzeHandler } from './analyze/analyze.handlers.ts';
import { analyze } from './analyze/analyze.routes.ts';
import { modelCallHeaders } from './model-call-headers.middleware.ts';
import { chatCompletions } from './v1/chat-completions.routes.ts';
import { embeddings } from './v1/embeddings.routes.ts';
import { models } from './v1/models.routes.ts';
import { openAiErrorHandler } from './v1/openai-error.handlers.ts';
import { chatCompletionsHandler, embeddingsHandler, modelsHandler } from './v1/v1.handlers.ts';

export const analyzeRouter = createRouter();
analyzeRouter.use('/analyze', modelCallHeaders());
analyzeRouter.openapi(analyze, analyzeHandler);

/** The OpenAI-compatible surface: its errors, the guards' included, render in OpenAI's shape. */
export const v1Router = createRouter();
v1Router.onError(openAiErrorHandler);
v1Router.use('/v1/chat/completions', modelCallHeaders());
v1Router.use('/v1/embeddings', modelCallHeaders());
v1Router
  .openapi(chatCompletions, chatCompletionsHandler)
  .openapi(embeddings, embeddingsHandler)
  .openapi(models, modelsHandler);
