import type { Deps } from '../deps.ts';
import { executeJob } from './execute-job.ts';
import type { JobHandlers, Offload } from './job-handler.ts';
import { claimDueJobs } from './jobs-store.ts';

/**
 * Runs queued jobs until none is due within `horizonMs` (retries and deferrals included),
 * `concurrency` at a time. For tools, benchmarks and tests that want ingestion to finish now.
 * Returns the number of job runs.
 */
export async function drainJobs(
  deps: Deps,
  handlers: JobHandlers,
  options: { horizonMs?: number; concurrency?: number; workerId?: string; offload?: Offload } = {},
): Promise<number> {
  const workerId = options.workerId ?? `drain-${crypto.randomUUID()}`;
  let runs = 0;
  for (;;) {
    const claimed = await claimDueJobs(deps.db, {
      workerId,
      limit: options.concurrency ?? deps.config.JOB_CONCURRENCY,
      leaseSeconds: deps.config.JOB_LEASE_S,
      horizonMs: options.horizonMs ?? 0,
    });
    if (claimed.length === 0) return runs;
    await Promise.all(claimed.map((job) => executeJob(deps, handlers, job, { offload: options.offload })));
    runs += claimed.length;
  }
}
