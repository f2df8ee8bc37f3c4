/**
 * Settings for an app whose provider is the fake OpenAI server: short timeouts and delays so
 * failure paths run quickly, and a breaker that opens after three failures.
 */
export function openAiEnv(baseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    LLM_PROVIDER: 'openai',
    LLM_BASE_URL: baseUrl,
    OPENAI_API_KEY: 'sk-test',
    LLM_MODEL: 'gpt-4o-mini',
    EMBEDDING_MODEL: 'text-embedding-3-small',
    EMBEDDING_DIMENSIONS: '8',
    LLM_TIMEOUT_MS: '400',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '300',
    LLM_MAX_RETRIES: '2',
    LLM_RETRY_BASE_DELAY_MS: '1',
    LLM_RETRY_MAX_DELAY_MS: '2000',
    LLM_BREAKER_THRESHOLD: '3',
    LLM_BREAKER_COOLDOWN_MS: '250',
    ...overrides,
  };
}
