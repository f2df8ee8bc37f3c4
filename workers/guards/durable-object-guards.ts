import type { Config } from '../../src/config/schema.ts';
import { createGuards, type GuardBackend, type Guards } from '../../src/guards/guards.ts';
import type { BeginOutcome, IdempotencyStore } from '../../src/guards/idempotency/idempotency-store.ts';
import { memoryGuardBackend } from '../../src/guards/memory/memory-guards.ts';
import { decide } from '../../src/guards/rate-limit/rate-limit-windows.ts';
import type { RateLimiter } from '../../src/guards/rate-limit/rate-limiter.ts';
import type { Env } from '../env.ts';
import type { IdempotencyObject } from './idempotency-object.ts';
import type { RateLimiterObject } from './rate-limiter-object.ts';

/** A rate limiter with one Durable Object per key (route class + subject). */
export function createDurableObjectRateLimiter(
  namespace: DurableObjectNamespace<RateLimiterObject>,
): RateLimiter {
  return {
    async hit({ key, policies, now }) {
      const outcome = await namespace.get(namespace.idFromName(key)).hit([...policies], now);
      return decide(policies, outcome, now);
    },
  };
}

/** An idempotency store with one Durable Object per scoped key. */
export function createDurableObjectIdempotencyStore(
  namespace: DurableObjectNamespace<IdempotencyObject>,
): IdempotencyStore {
  const object = (key: string) => namespace.get(namespace.idFromName(key));
  return {
    // RPC loses tuple types on the way back (headers arrive as string[][]); the shape is unchanged.
    begin: async (request) => (await object(request.key).begin(request)) as BeginOutcome,
    complete: async (request) => object(request.key).complete(request),
    release: async ({ key, lease }) => object(key).release(lease),
  };
}

function binding<T>(value: T | undefined, name: string): T {
  if (!value) throw new Error(`The ${name} Durable Object binding is missing (see wrangler.toml).`);
  return value;
}

/** The default guards on Workers: strongly consistent per-key state in Durable Objects. */
function durableObjectGuardBackend(env: Env): GuardBackend {
  return {
    rateLimiter: () => createDurableObjectRateLimiter(binding(env.RATE_LIMITER, 'RATE_LIMITER')),
    idempotency: () => createDurableObjectIdempotencyStore(binding(env.IDEMPOTENCY, 'IDEMPOTENCY')),
  };
}

/**
 * Guards on Workers: Durable Objects unless a guard's backend is set to `memory` (one
 * isolate's memory: for local experiments only, isolates do not share it).
 */
export function workerGuards(config: Config, env: Env): Guards {
  return createGuards(
    config,
    { 'durable-object': durableObjectGuardBackend(env), memory: memoryGuardBackend },
    'durable-object',
  );
}
