import type { OutboundHttp } from './agents/tools/http/outbound-http.ts';
import type { ApiKeyCache } from './auth/api-key-cache.ts';
import type { PrincipalCache } from './auth/resolve-principal.ts';
import type { TokenVerifier } from './auth/token-verifier.ts';
import type { Config } from './config/schema.ts';
import type { Database } from './db/database.ts';
import type { Guards } from './guards/guards.ts';
import type { ClientAddress } from './guards/rate-limit/client-address.ts';
import type { AccountedLlm } from './llm/llm-client.ts';
import type { Logger } from './observability/logger.ts';
import type { Telemetry } from './observability/telemetry.ts';
import type { JobQueue } from './queue/job-queue.ts';
import type { RagCache } from './rag/search/rag-cache.ts';
import type { UsageSink } from './usage/usage-sink.ts';

/** Everything the app needs from its runtime, built by an entry point and handed to createApp. */
export interface Deps {
  config: Config;
  logger: Logger;
  /** Tracer, context store and metric instruments (src/observability/telemetry.ts). */
  telemetry: Telemetry;
  db: Database;
  /**
   * The model client, always wrapped with timeouts, retries, the breaker and usage accounting:
   * a bare provider does not fit here (pass it to `buildDeps({ llm })`).
   */
  llm: AccountedLlm;
  /** Where `llm` records usage events (stored off the request path). */
  usage: UsageSink;
  tokens: TokenVerifier;
  principalCache: PrincipalCache;
  /** API keys looked up by hash, for API_KEY_CACHE_TTL_S (src/auth/api-key-cache.ts). */
  apiKeyCache: ApiKeyCache;
  queue: JobQueue;
  ragCache: RagCache;
  /** Rate limiter and idempotency store behind the guards middleware. */
  guards: Guards;
  /** The peer address of a request, as the runtime sees it. */
  clientAddress: ClientAddress;
  /** The transport of the agents' http_request tool (pins checked addresses on Node). */
  outboundHttp: OutboundHttp;
  now: () => Date;
}

/**
 * How the app obtains its deps for a request. Node builds them once; Workers reuse
 * isolate-wide parts and open a database client per request (workerd forbids sharing sockets).
 */
export type DepsResolver = (env: unknown, ctx?: WaitUntil) => Deps;

/** The part of a runtime's execution context that keeps work alive after the response (Workers). */
export interface WaitUntil {
  waitUntil(work: Promise<unknown>): void;
}
