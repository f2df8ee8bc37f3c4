import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { chatCompletions } from './chat-completions.routes.ts';
import { completeChat, openChatStream } from './complete-chat.ts';
import { createEmbeddings } from './create-embeddings.ts';
import type { embeddings } from './embeddings.routes.ts';
import type { models } from './models.routes.ts';
import { chunkEncoder, completionBody, float32Base64 } from './openai-format.ts';
import { sseStream } from './sse-stream.ts';

export const chatCompletionsHandler: RouteHandler<typeof chatCompletions, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const deps = c.get('deps');
  const requestId = c.get('requestId');
  const meta = { requestId, userId: c.get('principal').userId, route: '/v1/chat/completions' };
  const created = Math.floor(deps.now().getTime() / 1000);
  if (!body.stream) {
    const response = await completeChat(deps, body, meta, c.req.raw.signal);
    c.set('modelCall', { costUsd: response.accounting.costUsd, upstreamMs: response.accounting.upstreamMs });
    return c.json(completionBody(response, created), 200);
  }
  const opened = await openChatStream(deps, body, meta, c.req.raw.signal);
  c.set('modelCall', { upstreamMs: opened.waitedMs });
  const encode = chunkEncoder({
    id: `chatcmpl-${requestId}`,
    created,
    model: opened.model,
    includeUsage: body.stream_options?.include_usage === true,
  });
  return c.body(sseStream(opened.events, opened.first, encode), 200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no',
  });
};

export const embeddingsHandler: RouteHandler<typeof embeddings, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const meta = { requestId: c.get('requestId'), userId: c.get('principal').userId, route: '/v1/embeddings' };
  const response = await createEmbeddings(c.get('deps'), body, meta, c.req.raw.signal);
  const { accounting } = response;
  c.set('modelCall', { costUsd: accounting.costUsd, upstreamMs: accounting.upstreamMs });
  const base64 = body.encoding_format === 'base64';
  return c.json(
    {
      object: 'list' as const,
      data: response.vectors.map((vector, index) => ({
        object: 'embedding' as const,
        index,
        embedding: base64 ? float32Base64(vector) : vector,
      })),
      model: response.model,
      usage: { prompt_tokens: accounting.usage.inputTokens, total_tokens: accounting.usage.inputTokens },
    },
    200,
  );
};

export const modelsHandler: RouteHandler<typeof models, AuthedEnv> = (c) => {
  const { llm } = c.get('deps');
  return c.json(
    {
      object: 'list' as const,
      data: llm
        .models()
        .map((m) => ({ id: m.id, object: 'model' as const, created: 0, owned_by: llm.provider })),
    },
    200,
  );
};
