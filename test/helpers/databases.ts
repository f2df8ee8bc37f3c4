import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/load-config.ts';
import { type DatabaseHandle, openPglite, openPostgres } from '../../src/node/open-database.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The database kinds this run covers: PGlite always, real PostgreSQL when TEST_DATABASE_URL is set. */
export const databaseKinds: DatabaseKind[] = process.env.TEST_DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

/**
 * A fresh, migrated database for one test file: in-memory PGlite, or a new database
 * created next to TEST_DATABASE_URL and dropped on close, so files never share state.
 */
export async function openTestDatabase(kind: DatabaseKind): Promise<DatabaseHandle & { url?: string }> {
  if (kind === 'pglite') {
    const handle = await openPglite(undefined);
    await handle.migrate();
    return handle;
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `cairn_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const handle = openPostgres(loadConfig({ DB_POOL_MAX: '20' }), url.toString());
  await handle.migrate();
  return {
    ...handle,
    url: url.toString(),
    async close() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
