import { sql } from 'drizzle-orm';
import type { Logger } from '../observability/logger.ts';
import type { Database } from './database.ts';
import { migrationStatus } from './migration-status.ts';
import { describeDatabaseFailure } from './pg-errors.ts';

/**
 * Asks the database to answer (`select 1`) and whether its migrations are applied, within
 * `timeoutMs`, and logs the outcome: on failure with its cause (the driver's code and message,
 * never SQL or parameters). For the Node entry at startup, which serves either way: /health stays
 * up, /ready and the data routes answer 503 until the database is back. Resolves to whether it answered.
 */
export async function checkDatabaseAtStartup(
  db: Database,
  logger: Logger,
  options: { kind: 'pglite' | 'postgres'; timeoutMs?: number },
): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 5000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const noAnswer = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const answered = await Promise.race([db.execute(sql`select 1`).then(() => 'ok' as const), noAnswer]);
    if (answered === 'timeout') {
      logger.error('database unavailable', {
        database: options.kind,
        reason: `no answer within ${timeoutMs} ms`,
      });
      return false;
    }
  } catch (error) {
    logger.error('database unavailable', {
      database: options.kind,
      reason: describeDatabaseFailure(error),
      err: error,
    });
    return false;
  } finally {
    clearTimeout(timer);
  }
  const migrations = await migrationStatus(db);
  if (!migrations.applied) {
    logger.warn('database migrations missing', {
      database: options.kind,
      expected: migrations.expected,
      applied: migrations.latestApplied,
      hint: 'run `npm run db:migrate`',
    });
  }
  return true;
}
