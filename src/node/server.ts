import { AsyncLocalStorage } from 'node:async_hooks';
import { serve } from '@hono/node-server';
import { APP_VERSION, createApp } from '../app.ts';
import { returnAllowances } from '../billing/quotas/quota-allowances.ts';
import { buildDeps, completeDeps } from '../build-deps.ts';
import type { Config } from '../config/schema.ts';
import { checkDatabaseAtStartup } from '../db/startup-check.ts';
import { answerClientErrors } from '../http/client-error.ts';
import { jobHandlers } from '../job-handlers.ts';
import { countJobs, observeQueueDepth } from '../observability/instruments.ts';
import { createLogger } from '../observability/logger.ts';
import { metricsRouter } from '../observability/metrics-export/index.ts';
import { createPrometheusMeter } from '../observability/metrics-export/prometheus-export.ts';
import { asyncContextStore, createTelemetry } from '../observability/telemetry.ts';
import { correlationFields } from '../observability/tracing.ts';
import { createDatabaseQueue } from '../queue/database-queue.ts';
import { createJobConsumer, type JobConsumer } from '../queue/job-consumer.ts';
import { systemRouter } from '../system/index.ts';
import { createBatchedUsageWriter } from '../usage/batched-usage-writer.ts';
import { startupBanner } from './banner.ts';
import { nodeClientAddress } from './client-address.ts';
import { nodeServerOptions } from './coalesced-headers.ts';
import { nodeGuards } from './node-guards.ts';
import { createOffloadPool } from './offload-pool.ts';
import { openDatabase } from './open-database.ts';
import type { PgliteClient } from './pglite-in-worker.ts';
import { createPinnedHttp } from './pinned-http.ts';
import { createUndiciChatTransport } from './undici-chat-transport.ts';

export interface ServerStart {
  config: Config;
  /** The JWT secret was generated into DATA_DIR (the embedded default): the banner says so. */
  generatedSecret: boolean;
  /** The embedded database's thread, when the entry started it already. */
  embedded?: Promise<PgliteClient>;
  /** performance.now() when the process began, for the banner's start-up time. */
  started: number;
}

/** Opens the database, builds the deps and serves the app until SIGINT or SIGTERM. */
export async function startServer({
  config,
  generatedSecret,
  embedded,
  started,
}: ServerStart): Promise<void> {
  // The request or job running now, for spans and for every log line's trace, request and user ids.
  const context = asyncContextStore(new AsyncLocalStorage());
  const logger = createLogger({
    level: config.LOG_LEVEL,
    write: (line) => process.stdout.write(`${line}\n`),
    context: () => correlationFields(context),
  });
  // GET /metrics serves this meter's instruments in the Prometheus text format (a pull reader, no own server).
  const prometheusMeter = createPrometheusMeter({
    serviceName: config.OTEL_SERVICE_NAME,
    serviceVersion: APP_VERSION,
    logger,
  });
  // Spans go out over OTLP in the background when OTEL_EXPORTER_OTLP(_TRACES)_ENDPOINT is set.
  const telemetry = createTelemetry({
    settings: config,
    serviceVersion: APP_VERSION,
    context,
    logger,
    meter: prometheusMeter,
    export: 'batch',
  });
  const database = await openDatabase(config, embedded);
  // The embedded database migrates itself; a shared PostgreSQL is migrated by `npm run db:migrate`.
  if (database.kind === 'pglite') await database.migrate();
  // Logs why the database cannot be used (the server serves either way: /ready and data routes answer 503).
  void checkDatabaseAtStartup(database.db, logger, { kind: database.kind });
  observeQueueDepth(telemetry.meter, () => countJobs(database.db));
  const usage = createBatchedUsageWriter({
    db: database.db,
    logger,
    batchSize: config.USAGE_BATCH_SIZE,
    flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
  });
  // PROCESS_ROLE=api leaves jobs to the `worker` processes, which find them by polling.
  const consuming = config.PROCESS_ROLE !== 'api';
  // Every consuming instance polls the jobs table (FOR UPDATE SKIP LOCKED); publishing here wakes this one at once.
  let consumer: JobConsumer | undefined;
  const deps = completeDeps(
    buildDeps({
      config,
      logger,
      telemetry,
      queue: createDatabaseQueue({ onPublish: () => consumer?.wake() }),
      guards: nodeGuards(config, database.db, logger),
      clientAddress: nodeClientAddress,
      outboundHttp: createPinnedHttp(),
      chatTransport: createUndiciChatTransport(),
    }),
    database.db,
    usage,
  );
  // A worker still listens, for probes and for its own metrics (the jobs it ran, their model calls).
  const app = createApp(
    () => deps,
    config.PROCESS_ROLE === 'worker' ? [systemRouter, metricsRouter] : undefined,
  );
  // Jobs' CPU-heavy steps (HTML extraction, chunking, token counting) run in worker threads, one per job.
  const offload = consuming ? createOffloadPool({ size: config.JOB_CONCURRENCY }) : undefined;
  // The embedded database belongs to this process alone, so jobs it left running resume, once listening.
  const jobs = consuming
    ? createJobConsumer({ deps, handlers: jobHandlers, exclusive: database.kind === 'pglite', offload })
    : undefined;
  consumer = jobs;

  const server = serve(
    {
      fetch: app.fetch,
      port: config.PORT,
      hostname: config.HOST,
      serverOptions: nodeServerOptions,
    },
    ({ port }) => {
      logger.info('listening', {
        port,
        host: config.HOST,
        database: database.kind,
        role: config.PROCESS_ROLE,
        pid: process.pid,
      });
      // Only now: a job, even one that stopped the previous process, must never keep the port closed.
      jobs?.start().catch((error: unknown) => logger.error('job consumer failed to start', { err: error }));
      if (generatedSecret) {
        startupBanner({ ...config, PORT: port }, performance.now() - started).then((text) =>
          process.stderr.write(`${text}\n`),
        );
      }
    },
  );
  // Oversized headers and other malformed requests get a problem+json answer, not a bare status line.
  answerClientErrors(server);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // In-flight requests and jobs finish first, then quota allowances reserved ahead are handed back
    // and usage events stored, then the database closes.
    server.close(() =>
      Promise.resolve(jobs?.stop())
        .then(() => returnAllowances(database.db))
        .then(() => offload?.close())
        .then(() => usage.close())
        .then(() => telemetry.shutdown())
        .then(() => database.close())
        .finally(() => process.exit(0)),
    );
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
