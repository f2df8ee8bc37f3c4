import { createApp } from '../src/app.ts';
import { buildDeps } from '../src/build-deps.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { Deps } from '../src/deps.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { Env } from './env.ts';
import { requestDatabase } from './request-database.ts';

// Built on the first request of an isolate (bindings arrive with it) and reused after.
let base: Omit<Deps, 'db'> | undefined;

const app = createApp((bindings) => {
  const env = bindings as Env;
  base ??= (() => {
    const config = loadConfig(env);
    const logger = createLogger({ level: config.LOG_LEVEL, write: (line) => console.log(line) });
    return buildDeps({ config, logger });
  })();
  return { ...base, db: requestDatabase(env) };
});

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
