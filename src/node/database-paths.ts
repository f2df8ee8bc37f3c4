import path from 'node:path';
import type { Config } from '../config/schema.ts';

/** drizzle/: the migrations both databases apply. */
export const MIGRATIONS_FOLDER = path.resolve(import.meta.dirname, '../../drizzle');

/** The embedded database's folder under DATA_DIR. */
export const embeddedDataDir = (config: Config) => path.join(config.DATA_DIR, 'pglite');
