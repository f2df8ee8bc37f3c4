import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database } from '../src/db/database.ts';
import * as schema from '../src/db/schema.ts';
import type { Env } from './env.ts';

/**
 * A database client for one request. workerd forbids reusing a socket across requests,
 * so each request opens its own single-connection client (Hyperdrive pools behind it).
 * It is never ended explicitly: `sql.end()` on workerd leaves an unhandled rejection.
 *
 * `fetch_types` stays on, as on Node: postgres.js learns the array types' OIDs from the catalog
 * when the connection opens (one small query, which Hyperdrive can serve from its cache).
 * Without it, array columns such as chunks.heading_path arrive as literals like "{}".
 */
export function requestDatabase(env: Env): Database {
  const url = env.HYPERDRIVE?.connectionString ?? env.DATABASE_URL;
  if (!url) throw new Error('Set DATABASE_URL or bind HYPERDRIVE: cairn on Workers needs PostgreSQL.');
  const client = postgres(url, { max: 1, prepare: false, fetch_types: true, onnotice: () => {} });
  return drizzle(client, { schema });
}
