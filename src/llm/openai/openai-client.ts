import { OpenAI } from 'openai/client';
import type { LlmClient, ModelInfo } from '../llm-client.ts';
import { LlmError } from '../llm-error.ts';
import { createChatHttp } from './openai-chat-http.ts';
import { fromOpenAiError } from './openai-errors.ts';

export interface OpenAiClientOptions {
  apiKey?: string;
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, Azure…); unset means OpenAI. */
  baseURL?: string;
  chatModel: string;
  embeddingModel: string;
  embeddingDimensions: number;
  timeoutMs: number;
}

// Only the text-embedding-3 family can shorten its vectors on request; other servers reject the field.
const acceptsDimensions = (model: string) => /(^|\/)text-embedding-3/.test(model);

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fromOpenAiError(error);
  }
}

/**
 * The provider for any OpenAI-compatible server: chat through a lean fetch client (the gateway's
 * hot path, openai-chat-http.ts), embeddings through the official SDK. Neither retries: cairn's
 * resilience wrapper owns timeouts, retries, backoff and the circuit breaker.
 */
export function createOpenAiClient(options: OpenAiClientOptions): LlmClient {
  const sdk = new OpenAI({
    // A local server needs no key, but the SDK insists on one.
    apiKey: options.apiKey ?? 'unused',
    baseURL: options.baseURL ?? null,
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
  });
  const chatHttp = createChatHttp({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? 'https://api.openai.com/v1',
  });
  const models: ModelInfo[] = [
    { id: options.chatModel, kind: 'chat' },
    { id: options.embeddingModel, kind: 'embedding' },
  ];

  return {
    provider: 'openai',
    chatModel: options.chatModel,
    embeddingModel: options.embeddingModel,
    embeddingDimensions: options.embeddingDimensions,

    chat: (request) => chatHttp.chat(request, request.model ?? options.chatModel),
    chatStream: (request) => chatHttp.chatStream(request, request.model ?? options.chatModel),

    embed: (request) =>
      guard(async () => {
        const model = request.model ?? options.embeddingModel;
        const result = await sdk.embeddings.create(
          {
            model,
            input: request.texts,
            ...(acceptsDimensions(model) ? { dimensions: options.embeddingDimensions } : {}),
          },
          { signal: request.signal },
        );
        const vectors = [...result.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        const wrong = vectors.find((v) => v.length !== options.embeddingDimensions);
        if (vectors.length !== request.texts.length || wrong) {
          throw new LlmError(
            'invalid_response',
            `Expected ${request.texts.length} vectors of ${options.embeddingDimensions} dimensions, got ${vectors.length} of ${wrong?.length ?? options.embeddingDimensions}; set EMBEDDING_DIMENSIONS to the model's size.`,
          );
        }
        return {
          model: result.model || model,
          vectors,
          usage: result.usage ? { inputTokens: result.usage.prompt_tokens } : null,
        };
      }),

    models: () => models,
  };
}
