import type { RateLimitPolicy } from './rate-limit-policies.ts';

/** Where one policy stands after a request: what is left and the seconds until its window resets. */
export interface PolicyStatus {
  policy: RateLimitPolicy;
  remaining: number;
  resetS: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The policies checked, as passed to `hit`. */
  policies: readonly RateLimitPolicy[];
  statuses: PolicyStatus[];
  /** Names of the policies that turned the request away (empty when allowed). */
  violated: string[];
  /** Seconds until every violated policy has room again (0 when allowed). */
  retryAfterS: number;
}

export interface RateLimitHit {
  /** The subject and route class, e.g. `model:user:alice`. */
  key: string;
  policies: readonly RateLimitPolicy[];
  /** Epoch milliseconds; callers pass their clock so every backend agrees on windows. */
  now: number;
}

/** Counts requests per key against fixed-window policies, atomically per key, on every backend. */
export interface RateLimiter {
  /** Counts one request against all policies if every one has room; otherwise counts nothing. */
  hit(request: RateLimitHit): Promise<RateLimitDecision>;
}
