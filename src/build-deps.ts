import { createPrincipalCache } from './auth/resolve-principal.ts';
import { createTokenVerifier } from './auth/token-verifier.ts';
import type { Config } from './config/schema.ts';
import type { Deps } from './deps.ts';
import { createLlmClient } from './llm/create-llm-client.ts';
import type { LlmClient } from './llm/llm-client.ts';
import type { Logger } from './observability/logger.ts';

/** Builds the runtime-independent deps once; entry points add their database. */
export function buildDeps(options: {
  config: Config;
  logger: Logger;
  llm?: LlmClient;
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
    now: options.now ?? (() => new Date()),
  };
}
