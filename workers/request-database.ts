import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Config } from '../src/config/schema.ts';
import type { Database } from '../src/db/database.ts';
import * as schema from '../src/db/schema.ts';
import type { Env } from './env.ts';

// DB_STATEMENT_TIMEOUT_MS's default, for a caller that passes no config.
const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

/**
 * A database client for one request. workerd forbids reusing a socket across requests,
 * so each request opens its own single-connection client (Hyperdrive pools behind it).
 * It is never ended explicitly: `sql.end()` on workerd leaves an unhandled rejection.
 *
 * `fetch_types` stays on, as on Node: postgres.js learns the array types' OIDs from the catalog
 * when the connection opens (one small query, which Hyperdrive can serve from its cache).
 * Without it, array columns such as chunks.heading_path arrive as literals like "{}".
 *
 * `config` (DB_STATEMENT_TIMEOUT_MS, DB_CONNECT_TIMEOUT_S) bounds each statement and the connect;
 * without it the statement timeout keeps its default and postgres.js its own connect timeout.
 */
export function requestDatabase(
  env: Env,
  config?: Pick<Config, 'DB_STATEMENT_TIMEOUT_MS' | 'DB_CONNECT_TIMEOUT_S'>,
): Database {
  const url = env.HYPERDRIVE?.connectionString ?? env.DATABASE_URL;
  if (!url) throw new Error('Set DATABASE_URL or bind HYPERDRIVE: cairn on Workers needs PostgreSQL.');
  const client = postgres(url, {
    max: 1,
    prepare: false,
    fetch_types: true,
    ...(config ? { connect_timeout: config.DB_CONNECT_TIMEOUT_S } : {}),
    // Sent at connect. Hyperdrive pools its origin connections in transaction mode and resets
    // session settings between clients, so behind it the role's own setting (and Hyperdrive's
    // 60 s query limit) is what holds: see docs/reliability.md.
    connection: { statement_timeout: config?.DB_STATEMENT_TIMEOUT_MS ?? DEFAULT_STATEMENT_TIMEOUT_MS },
    onnotice: () => {},
  });
  return drizzle(client, { schema });
}
