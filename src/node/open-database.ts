import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import * as schema from '../db/schema.ts';
import { embeddedDataDir, MIGRATIONS_FOLDER } from './database-paths.ts';
import { openPgliteInWorker, type PgliteClient } from './pglite-in-worker.ts';

/** An open database with what only its owner may do: migrate and close. */
export interface DatabaseHandle {
  kind: 'pglite' | 'postgres';
  db: Database;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * postgres.js with a bounded pool; `url` defaults to DATABASE_URL. Every connection starts with
 * `statement_timeout` = DB_STATEMENT_TIMEOUT_MS (a startup parameter, so no extra round trip):
 * a statement running longer is cancelled by the server (SQLSTATE 57014), which the API answers
 * with 503 and Retry-After. Migrations run on a connection of their own without that limit.
 */
export function openPostgres(config: Config, url = config.DATABASE_URL!): DatabaseHandle {
  const client = postgres(url, {
    max: config.DB_POOL_MAX,
    idle_timeout: config.DB_IDLE_TIMEOUT_S,
    connect_timeout: config.DB_CONNECT_TIMEOUT_S,
    // postgres.js leaves out a 0, so DB_STATEMENT_TIMEOUT_MS=0 keeps the server's (or role's) setting.
    connection: { statement_timeout: config.DB_STATEMENT_TIMEOUT_MS },
    // postgres.js waits up to 20 s between reconnections after repeated failures, holding queries
    // meanwhile; capped at 1 s so an outage answers 503 quickly and recovery is seen at once.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 1),
    onnotice: () => {},
  });
  const db = drizzlePostgres(client, { schema });
  return {
    kind: 'postgres',
    db,
    async migrate() {
      // An index build over a large table may take minutes: no statement timeout here.
      const migrator = postgres(url, {
        max: 1,
        connect_timeout: config.DB_CONNECT_TIMEOUT_S,
        onnotice: () => {},
      });
      try {
        // One connection, so the session setting holds for every migration (and beats a role's own).
        await migrator`set statement_timeout = 0`;
        await migratePostgres(drizzlePostgres(migrator, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await migrator.end({ timeout: 5 });
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * Embedded PostgreSQL (PGlite + pgvector); `dataDir` undefined keeps it in memory. PGlite runs
 * one statement at a time and does not enforce `statement_timeout` (docs/reliability.md).
 */
export async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const client = await PGlite.create({ dataDir, extensions: { vector } });
  const db = drizzlePglite(client, { schema });
  return {
    kind: 'pglite',
    db,
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    close: () => client.close(),
  };
}

/**
 * Embedded PostgreSQL in a worker thread, as the server runs it: a long statement (an HNSW index
 * build, a large insert) keeps only that thread busy, and requests are still answered meanwhile.
 * `client` is the thread openPgliteInWorker opened on `dataDir`.
 */
function embeddedDatabase(client: PgliteClient, dataDir: string | undefined): DatabaseHandle {
  // The client implements the part of PGlite's API drizzle's PGlite driver uses.
  const db = drizzlePglite({ client: client as unknown as PGlite, schema });
  const applied = async () =>
    client
      .query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations')
      .then((r) => r.rows[0]?.n ?? 0)
      .catch(() => 0);
  return {
    kind: 'pglite',
    db,
    async migrate() {
      const before = await applied();
      await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
      // New migrations grew the thread's memory, which WebAssembly never returns: a fresh thread
      // on the same files starts nearer the idle footprint instead. (In memory, a restart would
      // lose the database: only files are reopened.)
      if (dataDir && (await applied()) !== before) await client.restart();
    },
    close: () => client.close(),
  };
}

/** The embedded database on `dataDir` in its worker thread, opened here. */
export async function openPgliteThread(dataDir: string | undefined): Promise<DatabaseHandle> {
  return embeddedDatabase(await openPgliteInWorker(dataDir), dataDir);
}

/**
 * DATABASE_URL selects PostgreSQL; otherwise the embedded database under DATA_DIR, in its own
 * thread (`embedded`, when the caller started that thread already).
 */
export async function openDatabase(
  config: Config,
  embedded?: Promise<PgliteClient>,
): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) return openPostgres(config);
  const dataDir = embeddedDataDir(config);
  return embeddedDatabase(await (embedded ?? openPgliteInWorker(dataDir)), dataDir);
}
