import type { Deps } from '../deps.ts';
import type { Logger } from '../observability/logger.ts';
import { currentScope, traceparentOf } from '../observability/tracing.ts';
import { backoffMs } from './backoff.ts';
import type { JobQueue } from './job-queue.ts';
import { insertJobs, type NewJob } from './jobs-store.ts';

/**
 * Where a job stored now comes from: the traceparent of the span running now, so the job's spans
 * join this trace, and the API request's id, for the job's log lines.
 */
export function jobOrigin(deps: Pick<Deps, 'telemetry'>): Pick<NewJob, 'traceparent' | 'requestId'> {
  const { context } = deps.telemetry;
  return { traceparent: traceparentOf(context.active()), requestId: currentScope(context)?.requestId };
}

const withOrigin = (deps: Pick<Deps, 'telemetry'>, specs: NewJob[]): NewJob[] => {
  const origin = jobOrigin(deps);
  return specs.map((spec) => ({ ...origin, ...spec }));
};

/** Stores jobs (with their origin) and announces them to the runtime's consumer. Returns the ids created. */
export async function enqueueJobs(
  deps: Pick<Deps, 'db' | 'queue' | 'telemetry'>,
  specs: NewJob[],
): Promise<string[]> {
  const created = await insertJobs(deps.db, withOrigin(deps, specs));
  await deps.queue.publish(created);
  return created.map((c) => c.id);
}

export interface SendRetryOptions {
  logger: Logger;
  /** Sends tried per publish, the first included. */
  attempts?: number;
  /** First backoff delay; doubled per retry (equal jitter), at most `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Tests replace the wait. */
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The queue port with bounded retries on send. Jobs are committed to the jobs table before they
 * are published, so a send that still fails after `attempts` tries (3 by default, about 200 ms then
 * 400 ms apart, jittered) is logged (`queue send failed`, with the job ids) and swallowed: the jobs
 * stay `queued` in the table, where the scheduled sweep (Workers) or the poller (Node) finds them.
 * The request that stored them succeeds either way.
 */
export function withSendRetry(queue: JobQueue, options: SendRetryOptions): JobQueue {
  const attempts = options.attempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const sleep = options.sleep ?? wait;
  return {
    async publish(jobs) {
      if (jobs.length === 0) return;
      for (let attempt = 1; ; attempt++) {
        try {
          await queue.publish(jobs);
          return;
        } catch (error) {
          const fields = { jobs: jobs.length, job_ids: jobs.slice(0, 20).map((j) => j.id), attempt };
          if (attempt >= attempts) {
            options.logger.error('queue send failed', { ...fields, left_queued: true, err: error });
            return;
          }
          options.logger.warn('queue send retried', { ...fields, err: error });
          await sleep(backoffMs(attempt, baseDelayMs, maxDelayMs));
        }
      }
    },
  };
}
