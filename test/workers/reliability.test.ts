import { env as bindings } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { describeDatabaseFailure, isDatabaseUnavailable } from '../../src/db/pg-errors.ts';
import { rowsOf } from '../../src/db/rows.ts';
import type { Env } from '../../workers/env.ts';
import { requestDatabase } from '../../workers/request-database.ts';

const env = bindings as unknown as Env;

// The matrix row "database statement" of docs/reliability.md, on the per-request client of workerd.
describe('the per-request database client inside workerd', () => {
  it('connects with statement_timeout: the setting given, else its default', async () => {
    const show = async (db: ReturnType<typeof requestDatabase>) =>
      rowsOf<{ statement_timeout: string }>(await db.execute(sql`show statement_timeout`))[0]
        ?.statement_timeout;
    expect(await show(requestDatabase(env))).toBe('15s');
    expect(await show(requestDatabase(env, { DB_STATEMENT_TIMEOUT_MS: 250, DB_CONNECT_TIMEOUT_S: 5 }))).toBe(
      '250ms',
    );
  });

  it('a statement beyond it is cancelled by the server and reads as database-unavailable', async () => {
    const db = requestDatabase(env, { DB_STATEMENT_TIMEOUT_MS: 250, DB_CONNECT_TIMEOUT_S: 5 });
    const error = await db.execute(sql`select pg_sleep(3)`).catch((e: unknown) => e);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(describeDatabaseFailure(error)).toBe('timed out (57014)');
  });
});
