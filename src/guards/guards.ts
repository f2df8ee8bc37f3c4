import type { Config } from '../config/schema.ts';
import { createGuardMetrics, type GuardMetrics } from './guard-metrics.ts';
import type { IdempotencyStore } from './idempotency/idempotency-store.ts';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';

export const guardBackendNames = ['memory', 'postgres', 'durable-object'] as const;
export type GuardBackendName = (typeof guardBackendNames)[number];

/** The per-key state behind the guards, and their counters; one per process (or isolate). */
export interface Guards {
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  metrics: GuardMetrics;
}

/** A backend a runtime can offer; each guard picks one by name. */
export interface GuardBackend {
  rateLimiter(): RateLimiter;
  idempotency(): IdempotencyStore;
}

/**
 * Builds the guards from the backends this runtime offers: RATE_LIMIT_BACKEND and
 * IDEMPOTENCY_BACKEND pick one each, else the runtime's default. A backend the runtime
 * cannot offer stops startup with the setting named.
 */
export function createGuards(
  config: Config,
  backends: Partial<Record<GuardBackendName, GuardBackend>>,
  fallback: GuardBackendName,
  metrics: GuardMetrics = createGuardMetrics(),
): Guards {
  const pick = (setting: 'RATE_LIMIT_BACKEND' | 'IDEMPOTENCY_BACKEND') => {
    const name = config[setting] ?? fallback;
    const backend = backends[name];
    if (!backend) {
      throw new Error(
        `${setting}=${name} is not available here; choose one of ${Object.keys(backends).join(', ')}.`,
      );
    }
    return backend;
  };
  return {
    rateLimiter: pick('RATE_LIMIT_BACKEND').rateLimiter(),
    idempotency: pick('IDEMPOTENCY_BACKEND').idempotency(),
    metrics,
  };
}
