import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { PGLITE_SETTINGS } from './pglite-protocol.ts';

// `node src/node/pglite-init-process.ts <dataDir> <migrationsFolder>`: creates the embedded
// database in a new folder and applies the migrations, then exits (open-database.ts runs it).
// initdb and the first migrations peak at several hundred MB; a process gives all of it back when
// it exits, whereas a thread leaves it in its malloc arenas for the server's lifetime.
const [dataDir, migrationsFolder] = process.argv.slice(2);
const db = await PGlite.create({ dataDir, extensions: { vector }, postgresqlconf: PGLITE_SETTINGS });
try {
  await migrate(drizzle({ client: db }), { migrationsFolder: migrationsFolder! });
} finally {
  await db.close();
}
