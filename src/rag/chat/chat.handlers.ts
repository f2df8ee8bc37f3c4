import type { RouteHandler } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { AppError } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { problemBody } from '../../http/problem.ts';
import { answerQuestion, type ChatEvent, type ChatInput, streamAnswer } from './answer-question.ts';
import type { chatRoute } from './chat.routes.ts';
import { chatResultView, usageView } from './chat-view.ts';

export const chatHandler: RouteHandler<typeof chatRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const deps = c.get('deps');
  const userId = c.get('principal').userId;
  const input: ChatInput = {
    ownerId: userId,
    question: body.message,
    conversationId: body.conversation_id,
    topK: body.top_k,
    documentIds: body.filters?.document_ids,
    metadata: body.filters?.metadata,
    meta: { requestId: c.get('requestId'), userId, route: '/chat' },
  };
  const wantsStream = body.stream || (c.req.header('accept') ?? '').includes('text/event-stream');
  if (!wantsStream) return c.json(chatResultView(await answerQuestion(deps, input)), 200);

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
      const view = chatResultView(event.result);
      await stream.writeSSE({ event: 'citations', data: JSON.stringify(view.citations) });
      await stream.writeSSE({ event: 'usage', data: JSON.stringify(usageView(event.result.usage)) });
      await stream.writeSSE({ event: 'done', data: JSON.stringify(view) });
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
