import { ConfigError } from '../config/load-config.ts';
import { embeddedDataDir } from './database-paths.ts';
import { loadNodeConfig } from './node-config.ts';
import { cachePackageScopes } from './package-scope-cache.ts';
import { openPgliteInWorker } from './pglite-in-worker.ts';

// The Node entry. It imports only what the settings and the embedded database need: that
// database's first start (copying the template, starting its thread) and loading the server's
// modules each take about a second, and run side by side from here.
const started = performance.now();
const { config, generatedSecret } = await loadNodeConfig(process.env).catch((error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
});
const embedded = config.DATABASE_URL ? undefined : openPgliteInWorker(embeddedDataDir(config));
// Awaited by the server once its modules are loaded; a failure is reported there, not as unhandled meanwhile.
embedded?.catch(() => undefined);
cachePackageScopes();
const { startServer } = await import('./server.ts');
await startServer({ config, generatedSecret, embedded, started });
