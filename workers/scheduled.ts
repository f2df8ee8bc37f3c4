import { retentionMaintenance } from '../src/account/retention.ts';
import { subscriptionMaintenance } from '../src/billing/subscriptions/period-end.ts';
import type { Deps } from '../src/deps.ts';
import { countJobs, type QueueDepthRow } from '../src/observability/instruments.ts';
import { traced } from '../src/observability/tracing.ts';
import type { JobHandlers } from '../src/queue/job-handler.ts';
import { buryAbandonedJobs, deleteFinishedJobs, staleQueuedJobs } from '../src/queue/jobs-store.ts';

// As the Node consumer's maintenance (src/queue/job-consumer.ts): finished jobs are kept a day.
const FINISHED_RETENTION_HOURS = 24;
/** A job due this long without being taken is re-sent: its message was lost (or is very late). */
const STALE_AFTER_MS = 60_000;
// One pass re-sends at most this many (the next pass, a minute later, takes the rest).
const REPUBLISH_LIMIT = 1000;

export interface MaintenanceReport {
  buried: number;
  republished: number;
}

/**
 * The cron trigger's work on Workers, where no consumer polls the jobs table: what the Node
 * consumer's maintenance does (bury jobs whose worker was lost on their last attempt, calling
 * their onDead; delete finished jobs past retention), plus re-sending the jobs a message should
 * have delivered by now: queued ones whose send failed after the commit, and running ones whose
 * invocation died before its lease ran out. A re-sent duplicate does nothing (claimJob takes a
 * job once), so an overlapping or repeated run is harmless. With `recordQueueDepth` (metrics exported),
 * it also counts the jobs table for `cairn.queue.depth`.
 */
export async function runScheduledMaintenance(
  deps: Deps,
  handlers: JobHandlers,
  recordQueueDepth?: (rows: QueueDepthRow[]) => void,
): Promise<MaintenanceReport> {
  const buried = await buryAbandonedJobs(deps.db);
  for (const job of buried) {
    try {
      await handlers[job.kind]?.onDead?.(deps, job.payload, job.lastError ?? 'worker lost');
    } catch (error) {
      deps.logger.error('onDead failed', { job_id: job.id, job_kind: job.kind, err: error });
    }
  }
  await deleteFinishedJobs(deps.db, FINISHED_RETENTION_HOURS);
  const stale = await staleQueuedJobs(deps.db, { graceMs: STALE_AFTER_MS, limit: REPUBLISH_LIMIT });
  await deps.queue.publish(stale);
  // Subscriptions whose period ended: usage records, plan fallbacks, admin renewals (logs its own failure).
  await subscriptionMaintenance(deps);
  // RETENTION_*_DAYS, in bounded batches (logs its own failure).
  await retentionMaintenance(deps);
  if (recordQueueDepth) recordQueueDepth(await traced(deps, 'queue.jobs.count', () => countJobs(deps.db)));
  const report = { buried: buried.length, republished: stale.length };
  if (report.buried > 0 || report.republished > 0) deps.logger.warn('job maintenance', { ...report });
  else deps.logger.debug('job maintenance', { ...report });
  return report;
}
