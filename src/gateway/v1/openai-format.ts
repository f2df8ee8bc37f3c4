import type { CallAccounting, ChatResponse, ChatStreamEvent } from '../../llm/llm-client.ts';
import { formatUsd } from '../model-call-headers.middleware.ts';

/** OpenAI's usage object from cairn's accounting (provider-reported, or counted when absent). */
export function usageBody(accounting: CallAccounting) {
  const { usage } = accounting;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } } : {}),
    ...(usage.reasoningTokens
      ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
      : {}),
  };
}

const wireToolCalls = (calls: ChatResponse['toolCalls']) =>
  calls.map((c) => ({
    id: c.id,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }));

/** A chat completion in OpenAI's wire format. */
export function completionBody(response: ChatResponse & { accounting: CallAccounting }, created: number) {
  return {
    id: response.id,
    object: 'chat.completion' as const,
    created,
    model: response.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: response.content,
          refusal: null,
          ...(response.toolCalls.length > 0 ? { tool_calls: wireToolCalls(response.toolCalls) } : {}),
        },
        finish_reason: response.finishReason,
        logprobs: null,
      },
    ],
    usage: usageBody(response.accounting),
  };
}

/**
 * Turns stream events into OpenAI chunks: the first carries the role, the `done` event becomes
 * the finish chunk and, when asked for, a usage chunk (with cairn's cost beside the usage).
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
    return { ...base, choices: [{ index: 0, delta: withRole, finish_reason: finishReason, logprobs: null }] };
  };
  return (event: ChatStreamEvent): object[] => {
    if (event.type === 'delta') return [chunk({ content: event.content })];
    if (event.type === 'tool_call_delta') {
      const call = {
        index: event.index,
        ...(event.id ? { id: event.id, type: 'function' } : {}),
        function: { ...(event.name ? { name: event.name } : {}), arguments: event.arguments ?? '' },
      };
      return [chunk({ tool_calls: [call] })];
    }
    const finish = chunk({}, event.finishReason);
    if (!options.includeUsage || !event.accounting) return [finish];
    return [
      finish,
      {
        ...base,
        model: event.model,
        choices: [],
        usage: usageBody(event.accounting),
        cairn: { cost_usd: formatUsd(event.accounting.costUsd) },
      },
    ];
  };
}

/** Little-endian float32 bytes in base64, as OpenAI returns for encoding_format "base64". */
export function float32Base64(vector: number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
