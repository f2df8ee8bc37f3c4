import type { LlmClient, ModelInfo } from '../llm-client.ts';
import type { ChatTransport } from './chat-transport.ts';
import { createChatHttp } from './openai-chat-http.ts';

export interface OpenAiClientOptions {
  apiKey?: string;
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, Azure…); unset means OpenAI. */
  baseURL?: string;
  chatModel: string;
  embeddingModel: string;
  embeddingDimensions: number;
  timeoutMs: number;
  /** How chat requests are sent; the runtime's fetch when absent. */
  chatTransport?: ChatTransport;
}

/**
 * The provider for any OpenAI-compatible server: chat through a lean client (the gateway's hot
 * path, openai-chat-http.ts), embeddings through the official SDK, loaded on the first embedding
 * call. Neither retries: cairn's resilience wrapper owns timeouts, retries, backoff and the
 * circuit breaker.
 */
export function createOpenAiClient(options: OpenAiClientOptions): LlmClient {
  const chatHttp = createChatHttp({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? 'https://api.openai.com/v1',
    transport: options.chatTransport,
  });
  let embeddings: Promise<LlmClient['embed']> | undefined;
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

    async embed(request) {
      embeddings ??= import('./openai-embeddings.ts').then(({ createOpenAiEmbeddings }) =>
        createOpenAiEmbeddings(options),
      );
      return (await embeddings)(request);
    },

    models: () => models,
  };
}
