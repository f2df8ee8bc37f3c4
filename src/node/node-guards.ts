import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { createGuards, type Guards } from '../guards/guards.ts';
import { memoryGuardBackend } from '../guards/memory/memory-guards.ts';
import { postgresGuardBackend } from '../guards/postgres/postgres-guards.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Guards on Node: in-process for the embedded default (one instance), PostgreSQL when
 * DATABASE_URL is set so instances behind a load balancer share limits and keys.
 */
export function nodeGuards(config: Config, db: Database, logger: Logger): Guards {
  return createGuards(
    config,
    { memory: memoryGuardBackend, postgres: postgresGuardBackend(db, logger) },
    config.DATABASE_URL ? 'postgres' : 'memory',
  );
}
