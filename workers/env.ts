import type { IdempotencyObject } from './guards/idempotency-object.ts';
import type { RateLimiterObject } from './guards/rate-limiter-object.ts';

/** The bindings cairn reads on Workers; vars and secrets are plain strings. */
export interface Env {
  HYPERDRIVE?: Hyperdrive;
  DATABASE_URL?: string;
  RATE_LIMITER?: DurableObjectNamespace<RateLimiterObject>;
  IDEMPOTENCY?: DurableObjectNamespace<IdempotencyObject>;
  [setting: string]: unknown;
}
