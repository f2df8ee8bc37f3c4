import type { UsageOperation } from '../db/tables/usage.ts';

/** One model call as billed: who made it, which model, its tokens, cost, latency and outcome. */
export interface UsageEvent {
  at: Date;
  requestId?: string;
  userId?: string;
  route?: string;
  provider: string;
  model: string;
  operation: UsageOperation;
  tokensIn: number;
  tokensOut: number;
  cachedTokensIn: number;
  reasoningTokens: number;
  tokensEstimated: boolean;
  costUsd: number;
  priced: boolean;
  latencyMs: number;
  attempts: number;
  /** "ok", "cancelled", or the LlmError kind that ended the call. */
  status: string;
}

/** Where usage events go: recorded without waiting, persisted off the request path. */
export interface UsageSink {
  record(event: UsageEvent): void;
  /** Resolves once every event recorded so far is stored (tests, shutdown, end of a Workers request). */
  flush(): Promise<void>;
}
