import { afterAll, beforeAll, describe } from 'vitest';
import { createPostgresIdempotencyStore } from '../../src/guards/postgres/postgres-idempotency-store.ts';
import { createPostgresRateLimiter } from '../../src/guards/postgres/postgres-rate-limiter.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../helpers/databases.ts';
import { createTestApp } from '../helpers/test-app.ts';
import type { GuardHarness } from './guard-harness.ts';
import { describeIdempotencyContract } from './idempotency-store.contract.ts';
import { describeRateLimiterContract } from './rate-limiter.contract.ts';

describe.each(databaseKinds)('guards on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database.close());

  const harness = (): GuardHarness => ({
    rateLimiter: () => createPostgresRateLimiter(database.db),
    idempotency: () => createPostgresIdempotencyStore(database.db),
    app: ({ env, ...options }) =>
      createTestApp(database, {
        env: { RATE_LIMIT_BACKEND: 'postgres', IDEMPOTENCY_BACKEND: 'postgres', ...env },
        ...options,
      }),
  });

  describeRateLimiterContract(`postgres (${kind})`, harness);
  describeIdempotencyContract(`postgres (${kind})`, harness);
});
