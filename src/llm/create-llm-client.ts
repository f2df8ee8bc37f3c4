import type { Config } from '../config/schema.ts';
import type { LlmClient } from './llm-client.ts';
import { createLocalClient } from './local/local-client.ts';

/** Picks the provider named by LLM_PROVIDER. */
export function createLlmClient(config: Config): LlmClient {
  switch (config.LLM_PROVIDER) {
    case 'local':
      return createLocalClient({ embeddingDimensions: config.EMBEDDING_DIMENSIONS });
    case 'openai':
      throw new Error('LLM_PROVIDER=openai is not available in this build yet.');
  }
}
