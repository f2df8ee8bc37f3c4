import { createApp } from '../src/app.ts';
import { type BaseDeps, buildDeps, completeDeps } from '../src/build-deps.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { DepsResolver } from '../src/deps.ts';
import { jobHandlers } from '../src/job-handlers.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { JobMessage } from '../src/queue/job-queue.ts';
import { createRequestUsageWriter } from '../src/usage/request-usage-writer.ts';
import { cloudflareClientAddress } from './client-address.ts';
import { createCloudflareQueue } from './cloudflare-queue.ts';
import type { Env } from './env.ts';
import { workerGuards } from './guards/durable-object-guards.ts';
import { consumeJobBatch } from './queue-consumer.ts';
import { requestDatabase } from './request-database.ts';

// Built on the first request of an isolate (bindings arrive with it) and reused after.
let base: BaseDeps | undefined;

const resolveDeps: DepsResolver = (bindings, ctx) => {
  const env = bindings as Env;
  base ??= (() => {
    const config = loadConfig(env);
    const logger = createLogger({ level: config.LOG_LEVEL, write: (line) => console.log(line) });
    return buildDeps({
      config,
      logger,
      guards: workerGuards(config, env),
      // Without a queue binding jobs stay in the jobs table for a Node consumer sharing the database.
      ...(env.JOBS_QUEUE ? { queue: createCloudflareQueue(env.JOBS_QUEUE) } : {}),
      clientAddress: cloudflareClientAddress,
    });
  })();
  const db = requestDatabase(env);
  // Usage events go out after the response, kept alive by waitUntil.
  const defer = (work: Promise<unknown>) => ctx?.waitUntil(work);
  return completeDeps(base, db, createRequestUsageWriter({ db, logger: base.logger, defer }));
};

const app = createApp(resolveDeps);

export { IdempotencyObject } from './guards/idempotency-object.ts';
export { RateLimiterObject } from './guards/rate-limiter-object.ts';

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => consumeJobBatch(batch, resolveDeps(env, ctx), jobHandlers),
} satisfies ExportedHandler<Env, JobMessage>;
