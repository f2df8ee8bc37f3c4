import type { Config } from '../config/schema.ts';
import type { LlmClient } from './llm-client.ts';
import { createLocalClient } from './local/local-client.ts';
import { createOpenAiClient } from './openai/openai-client.ts';

export const DEFAULT_OPENAI_CHAT_MODEL = 'gpt-4o-mini';
export const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';

/** Picks the provider named by LLM_PROVIDER (without resilience or accounting: see llm-stack.ts). */
export function createLlmClient(config: Config): LlmClient {
  switch (config.LLM_PROVIDER) {
    case 'local':
      return createLocalClient({ embeddingDimensions: config.EMBEDDING_DIMENSIONS });
    case 'openai':
      return createOpenAiClient({
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.LLM_BASE_URL,
        chatModel: config.LLM_MODEL ?? DEFAULT_OPENAI_CHAT_MODEL,
        embeddingModel: config.EMBEDDING_MODEL ?? DEFAULT_OPENAI_EMBEDDING_MODEL,
        embeddingDimensions: config.EMBEDDING_DIMENSIONS,
        timeoutMs: config.LLM_TIMEOUT_MS,
      });
  }
}
