import { afterAll, beforeAll } from 'vitest';
import { createMemoryIdempotencyStore } from '../../src/guards/memory/memory-idempotency-store.ts';
import { createMemoryRateLimiter } from '../../src/guards/memory/memory-rate-limiter.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { openTestDatabase } from '../helpers/databases.ts';
import { createTestApp } from '../helpers/test-app.ts';
import type { GuardHarness } from './guard-harness.ts';
import { describeIdempotencyContract } from './idempotency-store.contract.ts';
import { describeRateLimiterContract } from './rate-limiter.contract.ts';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openTestDatabase('pglite');
});
afterAll(() => database.close());

// One store per file, like one process: cases stay apart through fresh keys.
const rateLimiter = createMemoryRateLimiter();
const idempotency = createMemoryIdempotencyStore();
const harness = (): GuardHarness => ({
  rateLimiter: () => rateLimiter,
  idempotency: () => idempotency,
  app: ({ env, ...options }) =>
    createTestApp(database, {
      env: { RATE_LIMIT_BACKEND: 'memory', IDEMPOTENCY_BACKEND: 'memory', ...env },
      ...options,
    }),
});

describeRateLimiterContract('memory', harness);
describeIdempotencyContract('memory', harness);
