import { AsyncLocalStorage } from 'node:async_hooks';
import { APP_VERSION, createApp } from '../src/app.ts';
import { type BaseDeps, buildDeps, completeDeps } from '../src/build-deps.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { DepsResolver } from '../src/deps.ts';
import { jobHandlers } from '../src/job-handlers.ts';
import { type QueueDepthRow, queueDepthGauge } from '../src/observability/instruments.ts';
import { createLogger } from '../src/observability/logger.ts';
import {
  createWorkerMetricsExport,
  metricsEndpoint,
  type WorkerMetricsExport,
} from '../src/observability/metrics-export/worker-metrics-export.ts';
import { asyncContextStore, createTelemetry } from '../src/observability/telemetry.ts';
import { correlationFields } from '../src/observability/tracing.ts';
import type { JobMessage } from '../src/queue/job-queue.ts';
import { createRequestUsageWriter } from '../src/usage/request-usage-writer.ts';
import { cloudflareClientAddress } from './client-address.ts';
import { createCloudflareQueue } from './cloudflare-queue.ts';
import type { Env } from './env.ts';
import { workerGuards } from './guards/durable-object-guards.ts';
import { consumeJobBatch } from './queue-consumer.ts';
import { requestDatabase } from './request-database.ts';
import { runScheduledMaintenance } from './scheduled.ts';

// The request or job running now (AsyncLocalStorage, from nodejs_compat), for spans and log lines.
const context = asyncContextStore(new AsyncLocalStorage());

// Built on the first request of an isolate (bindings arrive with it) and reused after.
let base: BaseDeps | undefined;
// Pushes the isolate's metrics over OTLP after requests, when an endpoint is set (GET /metrics is 404 here).
let metrics: WorkerMetricsExport | undefined;
// `cairn.queue.depth`, set by the cron handler (no collection callback can query the database here).
let recordQueueDepth: ((rows: QueueDepthRow[]) => void) | undefined;

const resolveDeps: DepsResolver = (bindings, ctx) => {
  const env = bindings as Env;
  base ??= (() => {
    const config = loadConfig(env);
    const logger = createLogger({
      level: config.LOG_LEVEL,
      write: (line) => console.log(line),
      context: () => correlationFields(context),
    });
    const metricsUrl = metricsEndpoint(config);
    metrics = metricsUrl
      ? createWorkerMetricsExport({
          url: metricsUrl,
          headers: config.OTEL_EXPORTER_OTLP_HEADERS,
          intervalMs: config.OTEL_METRIC_EXPORT_INTERVAL,
          serviceName: config.OTEL_SERVICE_NAME,
          serviceVersion: APP_VERSION,
          logger,
        })
      : undefined;
    recordQueueDepth = metrics ? queueDepthGauge(metrics.meter) : undefined;
    // Spans wait in the isolate until a request's waitUntil sends them (flushAfter).
    const telemetry = createTelemetry({
      settings: config,
      serviceVersion: APP_VERSION,
      context,
      logger,
      meter: metrics?.meter,
      export: 'on-flush',
    });
    return buildDeps({
      config,
      logger,
      telemetry,
      guards: workerGuards(config, env),
      // Without a queue binding jobs stay in the jobs table for a Node consumer sharing the database.
      ...(env.JOBS_QUEUE ? { queue: createCloudflareQueue(env.JOBS_QUEUE) } : {}),
      clientAddress: cloudflareClientAddress,
    });
  })();
  const db = requestDatabase(env, base.config);
  // Usage events go out after the response, kept alive by waitUntil.
  const defer = (work: Promise<unknown>) => ctx?.waitUntil(work);
  return completeDeps(base, db, createRequestUsageWriter({ db, logger: base.logger, defer }));
};

const app = createApp(resolveDeps);

// Streamed bodies (SSE, NDJSON) end after the response is returned, and their model call's span with them.
const streamed = /^(text\/event-stream|application\/x-ndjson)/;

/**
 * Sends the spans this isolate recorded once the response is complete, kept alive by waitUntil:
 * at once for a body already produced, after the last chunk for a streamed one.
 */
function flushAfter(response: Response, ctx: ExecutionContext): Response {
  const telemetry = base?.telemetry;
  if (!telemetry?.recording) return response;
  const flush = () => telemetry.flush().catch(() => {});
  if (!response.body || !streamed.test(response.headers.get('content-type') ?? '')) {
    ctx.waitUntil(flush());
    return response;
  }
  const { readable, writable } = new TransformStream();
  ctx.waitUntil(
    response.body
      .pipeTo(writable)
      .catch(() => {})
      .then(flush),
  );
  return new Response(readable, response);
}

export { IdempotencyObject } from './guards/idempotency-object.ts';
export { RateLimiterObject } from './guards/rate-limiter-object.ts';

export default {
  fetch: async (request, env, ctx) => {
    const response = flushAfter(await app.fetch(request, env, ctx), ctx);
    metrics?.afterRequest(ctx);
    return response;
  },
  queue: async (batch, env, ctx) => {
    const deps = resolveDeps(env, ctx);
    try {
      await consumeJobBatch(batch, deps, jobHandlers);
    } finally {
      ctx.waitUntil(deps.telemetry.flush().catch(() => {}));
      metrics?.afterRequest(ctx);
    }
  },
  // The cron trigger in wrangler.toml: job maintenance and re-sending lost messages.
  scheduled: async (_controller, env, ctx) => {
    const deps = resolveDeps(env, ctx);
    try {
      await runScheduledMaintenance(deps, jobHandlers, recordQueueDepth);
    } finally {
      ctx.waitUntil(deps.telemetry.flush().catch(() => {}));
      // Each run sends its queue depth, whatever the export interval: the cron is its only source.
      if (metrics) ctx.waitUntil(metrics.exportNow());
    }
  },
} satisfies ExportedHandler<Env, JobMessage>;
