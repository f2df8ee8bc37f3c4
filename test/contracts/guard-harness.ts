import type { IdempotencyStore } from '../../src/guards/idempotency/idempotency-store.ts';
import type { RateLimiter } from '../../src/guards/rate-limit/rate-limiter.ts';
import type { TestApp, TestAppOptions } from '../helpers/test-app.ts';

/** What a backend gives the shared contract suites. Cases use fresh keys, so they never share state. */
export interface GuardHarness {
  rateLimiter(): RateLimiter;
  idempotency(): IdempotencyStore;
  /** The real app with both guards on this backend. */
  app(options: Pick<TestAppOptions, 'env' | 'llm' | 'override'>): TestApp | Promise<TestApp>;
}

const HOUR = 3_600_000;

/**
 * A synthetic "now" on an hour boundary just ahead of the real clock: windows line up with
 * it, and Durable Object alarms scheduled from it never fire during a test.
 */
export const contractEpoch = () => (Math.floor(Date.now() / HOUR) + 1) * HOUR;

export const freshKey = (prefix: string) => `${prefix}:${crypto.randomUUID()}`;
