import type { RouteHandler, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { AppError } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import { problemBody } from '../../http/problem.ts';
import { toSecurityReport } from '../../security/security.schemas.ts';
import type { Citation } from '../conversations/conversation-store.ts';
import type { citationSchema } from '../rag.schemas.ts';
import { toIndexVersionRefResponse } from '../search/search.handlers.ts';
import {
  answerQuestion,
  type ChatEvent,
  type ChatInput,
  type ChatResult,
  streamAnswer,
} from './answer-question.ts';
import type { chatResponseSchema, chatRoute } from './chat.routes.ts';

/** A citation as chat answers and stored conversations show it. */
export const toCitationResponse = (citation: Citation): z.input<typeof citationSchema> => ({
  marker: citation.marker,
  chunk_id: citation.chunkId,
  document_id: citation.documentId,
  document_title: citation.documentTitle,
  heading_path: citation.headingPath,
  score: citation.score,
});

const toChatResponse = (result: ChatResult): z.input<typeof chatResponseSchema> => ({
  conversation_id: result.conversationId,
  message_id: result.messageId,
  answer: result.answer,
  grounded: result.grounded,
  citations: result.citations.map(toCitationResponse),
  model: result.model,
  usage: result.usage
    ? { input_tokens: result.usage.inputTokens, output_tokens: result.usage.outputTokens }
    : null,
  index_version: toIndexVersionRefResponse(result.indexVersion),
  context: result.context,
  security: toSecurityReport(result.security),
});

export const chatHandler: RouteHandler<typeof chatRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const deps = c.get('deps');
  const input: ChatInput = {
    ownerId: c.get('principal').userId,
    question: body.message,
    conversationId: body.conversation_id,
    topK: body.top_k,
    documentIds: body.filters?.document_ids,
    metadata: body.filters?.metadata,
    meta: callMeta(c, '/chat'),
  };
  const wantsStream = body.stream || (c.req.header('accept') ?? '').includes('text/event-stream');
  if (!wantsStream) return c.json(toChatResponse(await answerQuestion(deps, input)), 200);

  // The first event is awaited before the stream opens, so retrieval failures (an unknown
  // conversation, a 503) are still plain problem responses with their status.
  const events = streamAnswer(deps, input);
  const first = await events.next();
  return streamSSE(c, async (stream) => {
    const send = async (event: ChatEvent) => {
      if (event.type === 'delta') {
        await stream.writeSSE({ event: 'delta', data: JSON.stringify({ content: event.content }) });
        return;
      }
      const response = toChatResponse(event.result);
      await stream.writeSSE({ event: 'citations', data: JSON.stringify(response.citations) });
      await stream.writeSSE({ event: 'usage', data: JSON.stringify(response.usage) });
      await stream.writeSSE({ event: 'done', data: JSON.stringify(response) });
    };
    try {
      if (!first.done) await send(first.value);
      for (let next = await events.next(); !next.done; next = await events.next()) await send(next.value);
    } catch (error) {
      c.get('logger').error('chat stream failed', { err: error });
      const status = error instanceof AppError ? error.status : 502;
      const problem = problemBody({
        status,
        slug: error instanceof AppError ? error.slug : 'upstream-error',
        title: error instanceof AppError ? error.title : 'The answer could not be completed',
        detail: error instanceof AppError ? error.message : 'The model stream failed midway.',
        requestId: c.get('requestId'),
      });
      await stream.writeSSE({ event: 'error', data: JSON.stringify(problem) });
    }
  });
};
