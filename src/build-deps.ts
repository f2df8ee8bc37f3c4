import { createPrincipalCache } from './auth/resolve-principal.ts';
import { createTokenVerifier } from './auth/token-verifier.ts';
import type { Config } from './config/schema.ts';
import type { Deps } from './deps.ts';
import { createLlmClient } from './llm/create-llm-client.ts';
import type { LlmClient } from './llm/llm-client.ts';
import type { Logger } from './observability/logger.ts';
import { createDatabaseQueue } from './queue/database-queue.ts';
import type { JobQueue } from './queue/job-queue.ts';
import { createRagCache } from './rag/search/rag-cache.ts';

/** Builds the runtime-independent deps once; entry points add their database. */
export function buildDeps(options: {
  config: Config;
  logger: Logger;
  llm?: LlmClient;
  queue?: JobQueue;
  now?: () => Date;
}): Omit<Deps, 'db'> {
  const { config } = options;
  return {
    config,
    logger: options.logger,
    llm: options.llm ?? createLlmClient(config),
    tokens: createTokenVerifier({
      secret: config.JWT_SECRET,
      jwksUrl: config.JWT_JWKS_URL,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      clockSkewSeconds: config.JWT_CLOCK_SKEW_S,
    }),
    principalCache: createPrincipalCache(),
    queue: options.queue ?? createDatabaseQueue(),
    ragCache: createRagCache({ entries: config.RAG_CACHE_ENTRIES, ttlMs: config.RAG_CACHE_TTL_S * 1000 }),
    now: options.now ?? (() => new Date()),
  };
}
