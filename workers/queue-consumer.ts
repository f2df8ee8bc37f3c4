import type { Deps } from '../src/deps.ts';
import { executeJob } from '../src/queue/execute-job.ts';
import type { JobHandlers } from '../src/queue/job-handler.ts';
import type { JobMessage } from '../src/queue/job-queue.ts';
import { buryJob, claimJob } from '../src/queue/jobs-store.ts';

/** Must match the dead_letter_queue of the consumer in wrangler.toml. */
export const DEAD_LETTER_QUEUE = 'cairn-jobs-dlq';

/**
 * The Cloudflare Queues consumer. Each message names a stored job: it is claimed (a job
 * already done or dead is acknowledged, so duplicate deliveries do nothing), run with the
 * same executeJob as on Node, then acknowledged, retried with the job's backoff, or
 * re-sent later (a deferral must not spend Cloudflare's retries). Messages Cloudflare gave
 * up on arrive from the dead-letter queue and are recorded as dead jobs.
 *
 * A batch runs its jobs one after another, each within JOB_TIMEOUT_MS (a document's work is
 * bounded by its size and RAG_MAX_CHUNKS_PER_DOCUMENT). Once half a budget has gone, the jobs
 * not yet started are re-sent for another invocation, so one slow job never holds the rest of
 * its batch towards the platform's time limit.
 */
export async function consumeJobBatch(
  batch: MessageBatch<JobMessage>,
  deps: Deps,
  handlers: JobHandlers,
): Promise<void> {
  const workerId = `workers-${crypto.randomUUID()}`;
  const started = Date.now();
  for (const message of batch.messages) {
    try {
      if (batch.queue !== DEAD_LETTER_QUEUE && Date.now() - started > deps.config.JOB_TIMEOUT_MS / 2) {
        await deps.queue.publish([{ id: message.body.jobId }]);
        message.ack();
        continue;
      }
      if (batch.queue === DEAD_LETTER_QUEUE) {
        const job = await buryJob(deps.db, message.body.jobId, `delivery failed ${message.attempts} times`);
        if (job) await handlers[job.kind]?.onDead?.(deps, job.payload, job.lastError ?? 'delivery failed');
        message.ack();
        continue;
      }
      const job = await claimJob(deps.db, message.body.jobId, {
        workerId,
        leaseSeconds: deps.config.JOB_LEASE_S,
      });
      if (!job) {
        message.ack();
        continue;
      }
      const outcome = await executeJob(deps, handlers, job);
      if (outcome.type === 'retry') {
        message.retry({ delaySeconds: Math.ceil(outcome.delayMs / 1000) });
        continue;
      }
      if (outcome.type === 'deferred') await deps.queue.publish([{ id: job.id, delayMs: outcome.delayMs }]);
      message.ack();
    } catch (error) {
      // The database or the queue itself failed: let Cloudflare redeliver (and dead-letter eventually).
      deps.logger.error('queue message failed', { job_id: message.body.jobId, err: error });
      message.retry();
    }
  }
}
