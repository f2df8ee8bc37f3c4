import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import type {
  Accounted,
  AccountedStreamEvent,
  CallAccounting,
  ChatResponse,
  ToolCall,
} from '../../llm/llm-client.ts';
import { formatUsd } from '../model-call-headers.middleware.ts';
import type {
  chatCompletionResponseSchema,
  chatUsageSchema,
  createChatCompletionRoute,
} from './chat-completions.routes.ts';
import { toChatRequest } from './chat-request.ts';
import { completeChat, openChatStream } from './complete-chat.ts';
import { sseStream } from './sse-stream.ts';

/** OpenAI's usage object from cairn's accounting (provider-reported, or counted when absent). */
const toUsage = ({ usage }: CallAccounting): z.input<typeof chatUsageSchema> => ({
  prompt_tokens: usage.inputTokens,
  completion_tokens: usage.outputTokens,
  total_tokens: usage.inputTokens + usage.outputTokens,
  ...(usage.cachedInputTokens ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } } : {}),
  ...(usage.reasoningTokens
    ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
    : {}),
});

const toToolCalls = (calls: ToolCall[]) =>
  calls.map((c) => ({
    id: c.id,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }));

const toChatCompletionResponse = (
  response: Accounted<ChatResponse>,
  created: number,
): z.input<typeof chatCompletionResponseSchema> => ({
  id: response.id,
  object: 'chat.completion',
  created,
  model: response.model,
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: response.content,
        refusal: null,
        ...(response.toolCalls.length > 0 ? { tool_calls: toToolCalls(response.toolCalls) } : {}),
      },
      finish_reason: response.finishReason,
      logprobs: null,
    },
  ],
  usage: toUsage(response.accounting),
});

/**
 * Turns stream events into OpenAI chunks, as JSON texts: the first carries the role, each piece of
 * a delta is a chunk of its own, the `done` event becomes the finish chunk and, when asked for, a
 * usage chunk (with cairn's cost beside the usage).
 */
export function chunkEncoder(options: { id: string; created: number; model: string; includeUsage: boolean }) {
  const base = {
    id: options.id,
    object: 'chat.completion.chunk' as const,
    created: options.created,
    model: options.model,
  };
  let roleSent = false;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => {
    const withRole = roleSent ? delta : { role: 'assistant', ...delta };
    roleSent = true;
    return JSON.stringify({
      ...base,
      choices: [{ index: 0, delta: withRole, finish_reason: finishReason, logprobs: null }],
    });
  };
  return (event: AccountedStreamEvent): string[] => {
    if (event.type === 'delta') return (event.pieces ?? [event.content]).map((content) => chunk({ content }));
    if (event.type === 'tool_call_delta') {
      const call = {
        index: event.index,
        ...(event.id ? { id: event.id, type: 'function' } : {}),
        function: { ...(event.name ? { name: event.name } : {}), arguments: event.arguments ?? '' },
      };
      return [chunk({ tool_calls: [call] })];
    }
    const finish = chunk({}, event.finishReason);
    if (!options.includeUsage) return [finish];
    return [
      finish,
      JSON.stringify({
        ...base,
        model: event.model,
        choices: [],
        usage: toUsage(event.accounting),
        cairn: { cost_usd: formatUsd(event.accounting.costUsd) },
      }),
    ];
  };
}

export const createChatCompletionHandler: RouteHandler<typeof createChatCompletionRoute, AuthedEnv> = async (
  c,
) => {
  const body = c.req.valid('json');
  const deps = c.get('deps');
  const meta = callMeta(c, '/v1/chat/completions');
  const request = toChatRequest(body, meta, {
    signal: c.req.raw.signal,
    maxOutputTokens: deps.config.LLM_MAX_OUTPUT_TOKENS,
  });
  const created = Math.floor(deps.now().getTime() / 1000);
  if (!body.stream) {
    const response = await completeChat(deps, request);
    c.set('modelCall', { costUsd: response.accounting.costUsd, upstreamMs: response.accounting.upstreamMs });
    return c.json(toChatCompletionResponse(response, created), 200);
  }
  const opened = await openChatStream(deps, request);
  c.set('modelCall', { upstreamMs: opened.waitedMs });
  const encode = chunkEncoder({
    id: `chatcmpl-${meta.requestId}`,
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
