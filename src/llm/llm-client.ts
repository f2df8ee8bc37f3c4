export type JsonSchema = Record<string, unknown>;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as the model produced it. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: JsonSchema;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: JsonSchema; strict?: boolean };

/** Who a model call is made for; the accounting wrapper stores usage under it. */
export interface CallMeta {
  requestId?: string;
  userId?: string;
  route?: string;
}

export interface ChatRequest {
  model?: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  responseFormat?: ResponseFormat;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  maxTokens?: number;
  signal?: AbortSignal;
  meta?: CallMeta;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * What cairn's accounting wrapper measured for one call: the tokens it billed (the provider's,
 * or counted when the provider reported none), the cost, and the time spent upstream.
 */
export interface CallAccounting {
  provider: string;
  model: string;
  usage: TokenUsage;
  tokensEstimated: boolean;
  costUsd: number;
  /** False when the model is not in the price table (cost is then 0). */
  priced: boolean;
  /** Time spent waiting on the provider, across all attempts, excluding cairn's own work. */
  upstreamMs: number;
  attempts: number;
}

export interface ChatResponse {
  id: string;
  model: string;
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  /** As the provider reported it; null when it reported none. */
  usage: TokenUsage | null;
}

export type ChatStreamEvent =
  | { type: 'delta'; content: string }
  | { type: 'tool_call_delta'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'done'; id: string; model: string; finishReason: FinishReason; usage: TokenUsage | null };

interface EmbedRequest {
  model?: string;
  texts: string[];
  signal?: AbortSignal;
  meta?: CallMeta;
}

export interface EmbedResponse {
  model: string;
  vectors: number[][];
  usage: { inputTokens: number } | null;
}

export interface ModelInfo {
  id: string;
  kind: 'chat' | 'embedding';
}

/** A reply as the accounted client returns it: with the usage and cost cairn billed for it. */
export type Accounted<T> = T & { accounting: CallAccounting };

/** A stream event of the accounted client: its `done` event carries the accounting. */
export type AccountedStreamEvent =
  | Exclude<ChatStreamEvent, { type: 'done' }>
  | Accounted<Extract<ChatStreamEvent, { type: 'done' }>>;

/** What a provider and the accounted client around it both say about the models behind them. */
interface ModelSource {
  /** The provider's name, as usage events and breaker keys record it. */
  readonly provider: 'local' | 'openai';
  /** The chat model used when a request names none. */
  readonly chatModel: string;
  /** The embedding model used when a request names none. */
  readonly embeddingModel: string;
  /** The size of every vector `embed` returns. */
  readonly embeddingDimensions: number;
  /** The models this provider serves. */
  models(): ModelInfo[];
}

/**
 * A model provider (the port `local` and `openai` implement): chat, optionally streamed, and
 * embeddings, with the usage the provider itself reports. Only `createLlm` wraps one for use.
 */
export interface LlmClient extends ModelSource {
  /** One chat completion. */
  chat(request: ChatRequest): Promise<ChatResponse>;
  /** A chat completion as deltas, ending with one `done` event. */
  chatStream(request: ChatRequest): AsyncIterable<ChatStreamEvent>;
  /** One vector per text, in order. */
  embed(request: EmbedRequest): Promise<EmbedResponse>;
}

/**
 * The model client every caller uses (`deps.llm`): a provider behind timeouts, retries and the
 * circuit breaker, whose every reply carries its accounting (docs/conventions.md, "Model calls").
 */
export interface AccountedLlm extends ModelSource {
  /** One chat completion, billed. */
  chat(request: ChatRequest): Promise<Accounted<ChatResponse>>;
  /** A streamed chat completion; its `done` event is billed, and so is a stream cut short. */
  chatStream(request: ChatRequest): AsyncIterable<AccountedStreamEvent>;
  /** One vector per text, in order, billed. */
  embed(request: EmbedRequest): Promise<Accounted<EmbedResponse>>;
}
