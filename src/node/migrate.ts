import { ConfigError, loadConfig } from '../config/load-config.ts';
import { openDatabase } from './open-database.ts';

// `npm run db:migrate`: applies drizzle/ to DATABASE_URL (or the embedded database).
try {
  const config = loadConfig(process.env);
  const database = await openDatabase(config);
  await database.migrate();
  await database.close();
  console.log(`migrations applied (${database.kind})`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
