import type { Config } from '../config/schema.ts';
import { countBreakerTransitions } from '../observability/instruments.ts';
import type { Logger } from '../observability/logger.ts';
import { modelLabels } from '../observability/model-calls.ts';
import { noTelemetry, type Telemetry } from '../observability/telemetry.ts';
import type { ModelUsageSink } from '../usage/usage-sink.ts';
import { createAccounting } from './call-accounting.ts';
import { instrumentLlm } from './instrumented-client.ts';
import type { AccountedLlm, LlmClient } from './llm-client.ts';
import { createLocalClient } from './local/local-client.ts';
import type { ChatTransport } from './openai/chat-transport.ts';
import { createOpenAiClient } from './openai/openai-client.ts';
import { createPriceTable } from './pricing/price-table.ts';
import { limitInflight } from './resilience/inflight-limit.ts';
import { createResilience } from './resilience/resilience.ts';

/** The accounted model client, for one usage sink. */
export type BindLlm = (sink: ModelUsageSink) => AccountedLlm;

function createProvider(config: Config, chatTransport: ChatTransport | undefined): LlmClient {
  switch (config.LLM_PROVIDER) {
    case 'local':
      return createLocalClient({
        embeddingDimensions: config.EMBEDDING_DIMENSIONS,
        schemaBounds: {
          maxItems: config.SCHEMA_MAX_ITEMS,
          maxStringLength: config.SCHEMA_MAX_STRING_LENGTH,
          maxOutputBytes: config.SCHEMA_MAX_OUTPUT_BYTES,
        },
      });
    case 'openai':
      return createOpenAiClient({
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.LLM_BASE_URL,
        chatModel: config.LLM_MODEL ?? 'gpt-4o-mini',
        embeddingModel: config.EMBEDDING_MODEL ?? 'text-embedding-3-small',
        embeddingDimensions: config.EMBEDDING_DIMENSIONS,
        timeoutMs: config.LLM_TIMEOUT_MS,
        chatTransport,
      });
  }
}

/**
 * The model client: the provider named by LLM_PROVIDER (or `provider`, which tests pass), its
 * circuit breakers and the price table, built once. The result binds accounting to a usage sink:
 * once on Node, per request on Workers, whose database client lives for one request.
 */
export function createLlm(options: {
  config: Config;
  logger: Logger;
  /** Spans and metrics of each call; none recorded when absent (tools, unit tests). */
  telemetry?: Telemetry;
  provider?: LlmClient;
  /** How an OpenAI-compatible provider sends chat requests; the runtime's fetch when absent. */
  chatTransport?: ChatTransport;
  now: () => Date;
}): BindLlm {
  const { config } = options;
  const telemetry = options.telemetry ?? noTelemetry();
  // Shed beyond LLM_MAX_INFLIGHT calls toward the provider (a stream holds its slot until its last event).
  const provider = limitInflight(options.provider ?? createProvider(config, options.chatTransport), {
    max: config.LLM_MAX_INFLIGHT,
  });
  const resilience = createResilience({
    logger: options.logger,
    onStateChange: countBreakerTransitions(telemetry.instruments),
    maxRetries: config.LLM_MAX_RETRIES,
    baseDelayMs: config.LLM_RETRY_BASE_DELAY_MS,
    maxDelayMs: config.LLM_RETRY_MAX_DELAY_MS,
    breakerThreshold: config.LLM_BREAKER_THRESHOLD,
    breakerCooldownMs: config.LLM_BREAKER_COOLDOWN_MS,
  });
  const accounting = createAccounting({
    provider: provider.provider,
    prices: createPriceTable(config.PRICE_OVERRIDES),
    logger: options.logger,
    now: options.now,
  });
  const modelLabel = modelLabels();
  return (sink) =>
    instrumentLlm(provider, {
      resilience,
      accounting,
      sink,
      timeoutMs: config.LLM_TIMEOUT_MS,
      firstTokenTimeoutMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
      telemetry,
      modelLabel,
    });
}
