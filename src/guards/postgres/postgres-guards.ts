import type { Database } from '../../db/database.ts';
import type { Logger } from '../../observability/logger.ts';
import type { GuardBackend } from '../guards.ts';
import { createPostgresIdempotencyStore } from './postgres-idempotency-store.ts';
import { createPostgresRateLimiter } from './postgres-rate-limiter.ts';
import { createSweepSchedule } from './sweep-schedule.ts';

/** State in PostgreSQL, shared by every instance on the same database. */
export function postgresGuardBackend(db: Database, logger: Logger): GuardBackend {
  const onSweepError = (error: unknown) => logger.warn('guard sweep failed', { err: error });
  return {
    rateLimiter: () => createPostgresRateLimiter(db, { schedule: createSweepSchedule(), onSweepError }),
    idempotency: () => createPostgresIdempotencyStore(db, { schedule: createSweepSchedule(), onSweepError }),
  };
}
