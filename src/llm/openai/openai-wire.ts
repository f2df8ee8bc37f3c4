import type {
  ChatCompletion,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ChatRequest, FinishReason, TokenUsage, ToolCall } from '../llm-client.ts';

/** cairn's chat request as the body of POST /chat/completions (without `stream`). */
export function toOpenAiParams(request: ChatRequest, model: string): ChatCompletionCreateParamsBase {
  const messages = request.messages.map((m): ChatCompletionMessageParam => {
    if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: m.toolCallId };
    if (m.role === 'assistant') {
      return {
        role: 'assistant',
        content: m.content,
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      };
    }
    return { role: m.role, content: m.content };
  });
  const choice = request.toolChoice;
  const format = request.responseFormat;
  return {
    model,
    messages,
    ...(request.tools?.length
      ? {
          tools: request.tools.map((t) => ({
            type: 'function' as const,
            function: { name: t.name, description: t.description, parameters: t.parameters },
          })),
        }
      : {}),
    ...(choice === undefined
      ? {}
      : {
          tool_choice:
            typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } },
        }),
    ...(format === undefined
      ? {}
      : {
          response_format:
            format.type === 'json_schema'
              ? {
                  type: 'json_schema',
                  json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? false },
                }
              : { type: format.type },
        }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop?.length ? { stop: request.stop } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
  };
}

export function fromOpenAiUsage(usage: CompletionUsage | null | undefined): TokenUsage | null {
  if (!usage) return null;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    ...(usage.prompt_tokens_details?.cached_tokens
      ? { cachedInputTokens: usage.prompt_tokens_details.cached_tokens }
      : {}),
    ...(usage.completion_tokens_details?.reasoning_tokens
      ? { reasoningTokens: usage.completion_tokens_details.reasoning_tokens }
      : {}),
  };
}

export function fromOpenAiFinish(reason: string | null | undefined): FinishReason {
  if (reason === 'length' || reason === 'content_filter' || reason === 'tool_calls') return reason;
  if (reason === 'function_call') return 'tool_calls';
  return 'stop';
}

export function fromOpenAiToolCalls(message: ChatCompletion['choices'][number]['message']): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const call of message.tool_calls ?? []) {
    if (call.type === 'function') {
      calls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
    }
  }
  return calls;
}
