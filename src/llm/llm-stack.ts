import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { UsageSink } from '../usage/usage-sink.ts';
import { createLlmClient } from './create-llm-client.ts';
import { instrumentLlm } from './instrumented-client.ts';
import type { LlmClient } from './llm-client.ts';
import { createPriceTable } from './pricing/price-table.ts';
import { createResilience } from './resilience/resilience.ts';

/**
 * The process-wide half of the model client: the provider, its circuit breakers and the price
 * table, built once. `bind` puts the resilience and accounting wrapper around it for a usage sink
 * (once on Node; per request on Workers, whose database client lives for one request).
 */
export interface LlmStack {
  readonly provider: LlmClient;
  bind(sink: UsageSink): LlmClient;
}

export function createLlmStack(options: {
  config: Config;
  logger: Logger;
  provider?: LlmClient;
  now: () => Date;
}): LlmStack {
  const { config } = options;
  const provider = options.provider ?? createLlmClient(config);
  const resilience = createResilience({
    maxRetries: config.LLM_MAX_RETRIES,
    baseDelayMs: config.LLM_RETRY_BASE_DELAY_MS,
    maxDelayMs: config.LLM_RETRY_MAX_DELAY_MS,
    breakerThreshold: config.LLM_BREAKER_THRESHOLD,
    breakerCooldownMs: config.LLM_BREAKER_COOLDOWN_MS,
  });
  const prices = createPriceTable(config.PRICE_OVERRIDES);
  return {
    provider,
    bind: (sink) =>
      instrumentLlm(provider, {
        resilience,
        prices,
        sink,
        logger: options.logger,
        timeoutMs: config.LLM_TIMEOUT_MS,
        firstTokenTimeoutMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
        now: options.now,
      }),
  };
}
