import type { ChatMessage, ChatRequest, TokenUsage, ToolCall } from '../llm-client.ts';

type Tokenizer = typeof import('gpt-tokenizer/encoding/cl100k_base');

// cl100k_base rather than o200k_base: counts differ by a few percent, and o200k's table alone
// would add ~1 MB gzipped to the Workers bundle. Imported on first use so cold starts skip it.
let tokenizer: Promise<Tokenizer> | undefined;
const load = () => {
  tokenizer ??= import('gpt-tokenizer/encoding/cl100k_base');
  return tokenizer;
};

// Text from callers may contain "<|endoftext|>"; count it as text instead of throwing.
const asText = { disallowedSpecial: new Set<string>() };

// OpenAI's documented framing overhead per chat message and per reply.
const PER_MESSAGE = 3;
const PER_REPLY = 3;

const messageText = (m: ChatMessage): string => {
  if (m.role !== 'assistant' || !m.toolCalls?.length) return m.content ?? '';
  return `${m.content ?? ''}${m.toolCalls.map((c) => `${c.name}${c.arguments}`).join('')}`;
};

/** Counts tokens synchronously once loaded (chunking counts thousands of sentences per document). */
export type CountTokens = (text: string) => number;

export async function loadTokenCounter(): Promise<CountTokens> {
  const { countTokens } = await load();
  return (text) => (text.length === 0 ? 0 : countTokens(text, asText));
}

/** Tokens in a text, as cl100k_base counts them. */
export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  return (await load()).countTokens(text, asText);
}

/** Estimated prompt tokens of a chat request: messages, tool definitions and the response schema. */
export async function countPromptTokens(request: ChatRequest): Promise<number> {
  const { countTokens } = await load();
  let total = PER_REPLY;
  for (const message of request.messages) total += PER_MESSAGE + countTokens(messageText(message), asText);
  if (request.tools?.length) total += countTokens(JSON.stringify(request.tools), asText);
  if (request.responseFormat?.type === 'json_schema') {
    total += countTokens(JSON.stringify(request.responseFormat.schema), asText);
  }
  return total;
}

type CalledTool = Pick<ToolCall, 'name' | 'arguments'>;

/** Estimated completion tokens of a reply: its text and any tool calls. */
export async function countCompletionTokens(
  content: string | null,
  toolCalls: CalledTool[],
): Promise<number> {
  const { countTokens } = await load();
  let total = content ? countTokens(content, asText) : 0;
  for (const call of toolCalls) total += countTokens(`${call.name}${call.arguments}`, asText);
  return total;
}

/** A chat call's usage as cairn counts it, for a provider that reported none. */
export async function countChatUsage(
  request: ChatRequest,
  content: string | null,
  toolCalls: CalledTool[],
): Promise<TokenUsage> {
  const [inputTokens, outputTokens] = await Promise.all([
    countPromptTokens(request),
    countCompletionTokens(content, toolCalls),
  ]);
  return { inputTokens, outputTokens };
}
