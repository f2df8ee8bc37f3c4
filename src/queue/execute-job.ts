import { SpanKind, trace } from '@opentelemetry/api';
import type { Deps } from '../deps.ts';
import { contextFromTraceparent, failSpan, traced, withScope } from '../observability/tracing.ts';
import { backoffMs } from './backoff.ts';
import { type JobHandlers, type Offload, PermanentJobError } from './job-handler.ts';
import { type ClaimedJob, completeJob, deferJob, failJob, JOB_TIMEOUT_PREFIX } from './jobs-store.ts';

export type JobOutcome =
  | { type: 'done' }
  | { type: 'deferred'; delayMs: number }
  | { type: 'retry'; delayMs: number; error: string }
  | { type: 'dead'; error: string };

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2000);

/** The attempt ran past JOB_TIMEOUT_MS. */
class JobTimeoutError extends Error {
  constructor(budgetMs: number) {
    super(`${JOB_TIMEOUT_PREFIX} the attempt ran longer than its ${budgetMs} ms budget (JOB_TIMEOUT_MS)`);
    this.name = 'JobTimeoutError';
  }
}

/**
 * Runs one claimed job with its handler and records the outcome in the jobs table: done,
 * deferred, queued again with backoff, or dead (then the handler's onDead runs). The same
 * function serves the polling consumer and the Cloudflare Queues consumer.
 *
 * Each attempt has JOB_TIMEOUT_MS: past it the attempt fails whatever the handler is doing
 * (its signal aborts, which stops offloaded work outright), and a job that runs out of time on
 * two attempts in a row is dead rather than retried: a document that cannot be ingested in
 * the budget must not take a consumer's slot again and again.
 *
 * The attempt runs in a span `job <kind>`, child of the span that stored the job (its
 * traceparent), and its log lines carry the job id and the request that stored it.
 */
export function executeJob(
  deps: Deps,
  handlers: JobHandlers,
  job: ClaimedJob,
  options: { offload?: Offload | undefined } = {},
): Promise<JobOutcome> {
  const { telemetry } = deps;
  const parent = withScope(contextFromTraceparent(job.traceparent), {
    requestId: job.requestId ?? undefined,
    jobId: job.id,
    modelCalls: 0,
    costUsd: 0,
    tokens: 0,
  });
  const span = telemetry.tracer.startSpan(
    `job ${job.kind}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'cairn.job.id': job.id, 'cairn.job.kind': job.kind, 'cairn.job.attempt': job.attempts },
    },
    parent,
  );
  return telemetry.context.with(trace.setSpan(parent, span), async () => {
    try {
      const outcome = await attempt(deps, handlers, job, options);
      span.setAttribute('cairn.job.outcome', outcome.type);
      if (outcome.type === 'retry' || outcome.type === 'dead') failSpan(span, new Error(outcome.error));
      if (outcome.type !== 'deferred') {
        telemetry.instruments.jobsFinished.add(1, {
          'cairn.job.kind': job.kind,
          'cairn.job.outcome': outcome.type,
        });
      }
      return outcome;
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

async function attempt(
  deps: Deps,
  handlers: JobHandlers,
  job: ClaimedJob,
  options: { offload?: Offload | undefined },
): Promise<JobOutcome> {
  const started = performance.now();
  const log = deps.logger.child({
    job_id: job.id,
    job_kind: job.kind,
    attempt: job.attempts,
    request_id: job.requestId ?? undefined,
  });
  const handler = handlers[job.kind];
  const budgetMs = deps.config.JOB_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new JobTimeoutError(budgetMs);
      controller.abort(error);
      reject(error);
    }, budgetMs);
  });
  let outcome: JobOutcome;
  try {
    if (!handler) throw new PermanentJobError(`no handler for job kind "${job.kind}"`);
    const result = await Promise.race([
      handler.run(deps, job.payload, {
        id: job.id,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        signal: controller.signal,
        offload: options.offload,
      }),
      outOfTime,
    ]);
    clearTimeout(timer);
    if (result) {
      await traced(deps, 'queue.job.defer', () => deferJob(deps.db, job.id, result.deferMs));
      outcome = { type: 'deferred', delayMs: result.deferMs };
    } else {
      await traced(deps, 'queue.job.complete', () => completeJob(deps.db, job.id));
      outcome = { type: 'done' };
    }
  } catch (thrown) {
    clearTimeout(timer);
    const error = describe(thrown);
    const delayMs = backoffMs(job.attempts, deps.config.JOB_BACKOFF_BASE_MS, deps.config.JOB_BACKOFF_MAX_MS);
    const status = await traced(deps, 'queue.job.fail', () =>
      failJob(deps.db, job.id, {
        error,
        retryDelayMs: delayMs,
        permanent: thrown instanceof PermanentJobError,
        timedOut: thrown instanceof JobTimeoutError,
      }),
    );
    outcome = status === 'dead' ? { type: 'dead', error } : { type: 'retry', delayMs, error };
    if (status === 'dead') await handler?.onDead?.(deps, job.payload, error);
  }
  const latency_ms = Math.round(performance.now() - started);
  if (outcome.type === 'done' || outcome.type === 'deferred')
    log.info('job', { outcome: outcome.type, latency_ms });
  else log.warn('job', { outcome: outcome.type, error: outcome.error, latency_ms });
  return outcome;
}
