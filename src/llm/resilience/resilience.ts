import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { LlmError } from '../llm-error.ts';
import { type BreakerObservers, watchBreaker } from './breaker-events.ts';

export interface ResilienceOptions extends BreakerObservers {
  maxRetries: number;
  baseDelayMs: number;
  /** Longest wait between attempts; a Retry-After beyond it is not waited for. */
  maxDelayMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
}

/** Runs model calls under a per-attempt timeout, retries with backoff and a breaker per provider+model. */
export interface Resilience {
  run<T>(
    key: string,
    attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<T>;
}

const isLlmError = (error: unknown): error is LlmError => error instanceof LlmError;

// Outages open the breaker; a 400 or an upstream rate limit says nothing about the provider's health.
const countsAsOutage = (error: unknown) =>
  isLlmError(error) &&
  (error.kind === 'timeout' || error.kind === 'upstream_error' || error.kind === 'connection');

/** Exponential backoff with decorrelated jitter, except that a provider's Retry-After wins. */
function honouringRetryAfter(base: IBackoffFactory<unknown>): IBackoffFactory<IRetryBackoffContext<unknown>> {
  const step = (previous: IBackoff<unknown> | undefined) => ({
    next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
      const backoff = previous ? previous.next(context) : base.next(context);
      const error = 'error' in context.result ? context.result.error : undefined;
      const hinted = isLlmError(error) ? error.retryAfterMs : undefined;
      return { duration: hinted ?? backoff.duration, next: step(backoff).next };
    },
  });
  return step(undefined);
}

export function createResilience(options: ResilienceOptions): Resilience {
  const retryable = (error: unknown) =>
    isLlmError(error) && error.retryable && (error.retryAfterMs ?? 0) <= options.maxDelayMs;
  const retries = retry(handleWhen(retryable), {
    maxAttempts: options.maxRetries,
    backoff: honouringRetryAfter(
      new ExponentialBackoff({ initialDelay: options.baseDelayMs, maxDelay: options.maxDelayMs }),
    ),
  });
  // Keyed by caller-chosen model names, so bounded.
  const breakers = new LRUCache<string, { policy: CircuitBreakerPolicy; openedAt: number }>({ max: 500 });
  const breakerFor = (key: string) => {
    let entry = breakers.get(key);
    if (!entry) {
      const policy = circuitBreaker(handleWhen(countsAsOutage), {
        halfOpenAfter: options.breakerCooldownMs,
        breaker: new ConsecutiveBreaker(options.breakerThreshold),
      });
      const created = { policy, openedAt: 0 };
      policy.onBreak(() => {
        created.openedAt = Date.now();
      });
      watchBreaker(policy, { breaker: 'llm', key }, options);
      entry = created;
      breakers.set(key, entry);
    }
    return entry;
  };
  const timeouts = new Map<number, ReturnType<typeof timeout>>();
  const timeoutFor = (ms: number) => {
    let policy = timeouts.get(ms);
    if (!policy) {
      // abortOnReturn false: a stream outlives the call that opened it.
      policy = timeout(ms, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
      timeouts.set(ms, policy);
    }
    return policy;
  };

  return {
    async run(key, attempt, { timeoutMs, signal }) {
      const breaker = breakerFor(key);
      const limit = timeoutFor(timeoutMs);
      try {
        return await retries.execute(
          ({ attempt: retryNumber }) =>
            breaker.policy.execute(async () => {
              try {
                return await limit.execute(
                  ({ signal: attemptSignal }) => attempt(attemptSignal, retryNumber + 1),
                  signal,
                );
              } catch (error) {
                if (signal?.aborted) throw new LlmError('aborted', 'The caller abandoned the model call.');
                if (error instanceof TaskCancelledError) {
                  throw new LlmError('timeout', `The model provider did not answer within ${timeoutMs} ms.`);
                }
                throw error;
              }
            }),
          signal,
        );
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          const remaining = Math.max(1000, options.breakerCooldownMs - (Date.now() - breaker.openedAt));
          throw new LlmError('circuit_open', `Calls to ${key} are paused after repeated failures.`, {
            retryAfterMs: remaining,
          });
        }
        throw error;
      }
    },
  };
}
