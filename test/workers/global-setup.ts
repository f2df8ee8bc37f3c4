import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_FOLDER } from '../../src/node/open-database.ts';

const postgresCli = (...args: string[]) =>
  execFileSync(
    process.execPath,
    [path.resolve(import.meta.dirname, '../helpers/postgres-database-cli.ts'), ...args],
    {
      encoding: 'utf8',
    },
  );

declare module 'vitest' {
  interface ProvidedContext {
    workersDatabaseUrl: string;
  }
}

/**
 * Gives the workerd tests a migrated PostgreSQL: a fresh database on TEST_DATABASE_URL when
 * set, else PGlite served over TCP so `npm test` needs no PostgreSQL installed.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    const url = postgresCli('create').trim();
    project.provide('workersDatabaseUrl', url);
    return () => {
      postgresCli('drop', new URL(url).pathname.slice(1));
    };
  }
  const pglite = await PGlite.create({ extensions: { vector } });
  await migrate(drizzle(pglite), { migrationsFolder: MIGRATIONS_FOLDER });
  // PGlite is one connection; the socket server queues clients up to this bound.
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  project.provide('workersDatabaseUrl', `postgres://postgres@${server.getServerConn()}/postgres`);
  return async () => {
    await server.stop();
    await pglite.close();
  };
}
