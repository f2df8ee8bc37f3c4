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
  /** Null when the provider reported none; `accounting.usage` then holds cairn's count. */
  usage: TokenUsage | null;
  /** Set by the accounting wrapper that every deps.llm goes through. */
  accounting?: CallAccounting;
}

export type ChatStreamEvent =
  | { type: 'delta'; content: string }
  | { type: 'tool_call_delta'; index: number; id?: string; name?: string; arguments?: string }
  | {
      type: 'done';
      id: string;
      model: string;
      finishReason: FinishReason;
      usage: TokenUsage | null;
      accounting?: CallAccounting;
    };

export interface EmbedRequest {
  model?: string;
  texts: string[];
  signal?: AbortSignal;
  meta?: CallMeta;
}

export interface EmbedResponse {
  model: string;
  vectors: number[][];
  usage: { inputTokens: number } | null;
  accounting?: CallAccounting;
}

export interface ModelInfo {
  id: string;
  kind: 'chat' | 'embedding';
}

/** A model provider: chat (optionally streamed) and embeddings behind one interface. */
export interface LlmClient {
  readonly provider: 'local' | 'openai';
  readonly chatModel: string;
  readonly embeddingModel: string;
  readonly embeddingDimensions: number;
  chat(request: ChatRequest): Promise<ChatResponse>;
  chatStream(request: ChatRequest): AsyncIterable<ChatStreamEvent>;
  embed(request: EmbedRequest): Promise<EmbedResponse>;
  models(): ModelInfo[];
}
