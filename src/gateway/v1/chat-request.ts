import type { z } from 'zod';
import { validationFailed } from '../../errors.ts';
import type { CallMeta, ChatMessage, ChatRequest, ResponseFormat } from '../../llm/llm-client.ts';
import type { chatCompletionRequestSchema } from './chat-completions.routes.ts';
import { RESPONSE_SCHEMA_POINTER } from './complete-chat.ts';

type ChatCompletionBody = z.output<typeof chatCompletionRequestSchema>;

type WireContent = string | { type: 'text'; text: string }[];

const text = (content: WireContent | null | undefined) =>
  content == null ? null : typeof content === 'string' ? content : content.map((p) => p.text).join('');

function toMessage(m: ChatCompletionBody['messages'][number]): ChatMessage {
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: text(m.content) ?? '' };
    case 'user':
      return { role: 'user', content: text(m.content) ?? '' };
    case 'tool':
      return { role: 'tool', content: text(m.content) ?? '', toolCallId: m.tool_call_id };
    case 'assistant':
      return {
        role: 'assistant',
        content: text(m.content),
        toolCalls: m.tool_calls?.map((c) => ({
          id: c.id,
          name: c.function.name,
          arguments: c.function.arguments,
        })),
      };
  }
}

function toResponseFormat(body: ChatCompletionBody): ResponseFormat | undefined {
  const format = body.response_format;
  if (format?.type !== 'json_schema') return format;
  const schema = format.json_schema.schema;
  if (!schema)
    throw validationFailed('A json_schema response format needs a schema.', [
      { pointer: RESPONSE_SCHEMA_POINTER, detail: 'is required' },
    ]);
  return {
    type: 'json_schema',
    name: format.json_schema.name,
    schema,
    strict: format.json_schema.strict ?? false,
  };
}

/** The reply length asked for, within what this deployment lets one reply be (LLM_MAX_OUTPUT_TOKENS). */
function maxTokensOf(body: ChatCompletionBody, limit: number): number | undefined {
  const [field, value] =
    body.max_completion_tokens != null
      ? ['max_completion_tokens', body.max_completion_tokens]
      : ['max_tokens', body.max_tokens ?? undefined];
  if (value !== undefined && value > limit) {
    throw validationFailed(`${field} is larger than this deployment allows.`, [
      { pointer: `/body/${field}`, detail: `must be at most ${limit}` },
    ]);
  }
  return value;
}

/** An OpenAI chat-completions body as cairn's provider-neutral chat request. */
export function toChatRequest(
  body: ChatCompletionBody,
  meta: CallMeta,
  options: { signal?: AbortSignal; maxOutputTokens: number },
): ChatRequest {
  const { signal } = options;
  const choice = body.tool_choice;
  const stop = body.stop ?? undefined;
  return {
    model: body.model,
    messages: body.messages.map(toMessage),
    tools: body.tools?.map((t) => ({
      name: t.function.name,
      description: t.function.description,
      parameters: t.function.parameters ?? { type: 'object', properties: {} },
    })),
    toolChoice:
      choice === undefined ? undefined : typeof choice === 'string' ? choice : { name: choice.function.name },
    responseFormat: toResponseFormat(body),
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop: stop === undefined ? undefined : typeof stop === 'string' ? [stop] : stop,
    seed: body.seed ?? undefined,
    maxTokens: maxTokensOf(body, options.maxOutputTokens),
    meta,
    signal,
  };
}
