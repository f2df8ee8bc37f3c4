import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.ts';

/** The drizzle database every service receives: PGlite, postgres.js or Hyperdrive underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
