import type { GuardBackend } from '../guards.ts';
import { createMemoryIdempotencyStore } from './memory-idempotency-store.ts';
import { createMemoryRateLimiter } from './memory-rate-limiter.ts';

/** State in this process only: right for one instance and the embedded default. */
export const memoryGuardBackend: GuardBackend = {
  rateLimiter: () => createMemoryRateLimiter(),
  idempotency: () => createMemoryIdempotencyStore(),
};
