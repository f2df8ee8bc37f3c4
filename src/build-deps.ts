import { fetchTransport } from './agents/tools/http/fetch-transport.ts';
import { withHostBreakers } from './agents/tools/http/host-breakers.ts';
import type { OutboundHttp } from './agents/tools/http/outbound-http.ts';
import { createApiKeyCache } from './auth/api-key-cache.ts';
import { hs256Secrets } from './auth/hs256-keys.ts';
import { createPrincipalCache } from './auth/resolve-principal.ts';
import { createTokenVerifier } from './auth/token-verifier.ts';
import type { Config } from './config/schema.ts';
import type { Database } from './db/database.ts';
import type { Deps } from './deps.ts';
import { createGuards, type Guards } from './guards/guards.ts';
import { memoryGuardBackend } from './guards/memory/memory-guards.ts';
import type { ClientAddress } from './guards/rate-limit/client-address.ts';
import { type BindLlm, createLlm } from './llm/create-llm.ts';
import type { LlmClient } from './llm/llm-client.ts';
import type { ChatTransport } from './llm/openai/chat-transport.ts';
import { countBreakerTransitions } from './observability/instruments.ts';
import type { Logger } from './observability/logger.ts';
import { noTelemetry, type Telemetry } from './observability/telemetry.ts';
import { createDatabaseQueue } from './queue/database-queue.ts';
import { withSendRetry } from './queue/enqueue.ts';
import type { JobQueue } from './queue/job-queue.ts';
import { createRagCache } from './rag/search/rag-cache.ts';
import type { UsageSink } from './usage/usage-sink.ts';

/** The runtime-independent deps, built once; `completeDeps` adds the database and the usage sink. */
export type BaseDeps = Omit<Deps, 'db' | 'llm' | 'usage'> & { bindLlm: BindLlm };

/** Builds the runtime-independent deps once; entry points complete them with their database. */
export function buildDeps(options: {
  config: Config;
  logger: Logger;
  /** Tracing and metrics, built by the entry point; none (nothing recorded) when absent. */
  telemetry?: Telemetry;
  /** The model provider instead of LLM_PROVIDER's (tests); it is wrapped and accounted all the same. */
  llm?: LlmClient;
  /** How an OpenAI-compatible provider sends chat requests; the runtime's fetch when absent. */
  chatTransport?: ChatTransport;
  queue?: JobQueue;
  guards?: Guards;
  clientAddress?: ClientAddress;
  /** The http_request tool's transport; the platform's fetch (Workers) when absent. */
  outboundHttp?: OutboundHttp;
  now?: () => Date;
}): BaseDeps {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const telemetry = options.telemetry ?? noTelemetry();
  return {
    config,
    logger: options.logger,
    telemetry,
    bindLlm: createLlm({
      config,
      logger: options.logger,
      telemetry,
      provider: options.llm,
      chatTransport: options.chatTransport,
      now,
    }),
    tokens: createTokenVerifier({
      secret: config.JWT_SECRET,
      previousSecrets: hs256Secrets(undefined, config.JWT_SECRET_PREVIOUS),
      jwksUrl: config.JWT_JWKS_URL,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      clockSkewSeconds: config.JWT_CLOCK_SKEW_S,
      maxSubjectLength: config.JWT_MAX_SUBJECT_LENGTH,
      maxAgeSeconds: config.JWT_MAX_AGE_S,
      jwksTimeoutMs: config.JWT_JWKS_TIMEOUT_MS,
      jwksCooldownMs: config.JWT_JWKS_COOLDOWN_MS,
      jwksCacheMaxAgeMs: config.JWT_JWKS_CACHE_MAX_AGE_MS,
      logger: options.logger,
    }),
    principalCache: createPrincipalCache(),
    apiKeyCache: createApiKeyCache({ ttlMs: config.API_KEY_CACHE_TTL_S * 1000 }),
    queue: withSendRetry(options.queue ?? createDatabaseQueue(), { logger: options.logger }),
    ragCache: createRagCache({ entries: config.RAG_CACHE_ENTRIES, ttlMs: config.RAG_CACHE_TTL_S * 1000 }),
    guards: options.guards ?? createGuards(config, { memory: memoryGuardBackend }, 'memory'),
    clientAddress: options.clientAddress ?? (() => undefined),
    outboundHttp: withHostBreakers(options.outboundHttp ?? fetchTransport, {
      threshold: config.AGENT_HTTP_BREAKER_THRESHOLD,
      cooldownMs: config.AGENT_HTTP_BREAKER_COOLDOWN_MS,
      logger: options.logger,
      onStateChange: countBreakerTransitions(telemetry.instruments),
    }),
    now,
  };
}

/** Adds a database and a usage sink, binding the model client's accounting to that sink. */
export function completeDeps(base: BaseDeps, db: Database, usage: UsageSink): Deps {
  const { bindLlm, ...rest } = base;
  return { ...rest, db, usage, llm: bindLlm(usage) };
}
