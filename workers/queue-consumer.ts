import { z } from 'zod';
import type { Deps } from '../src/deps.ts';
import { executeJob } from '../src/queue/execute-job.ts';
import type { JobHandlers } from '../src/queue/job-handler.ts';
import type { JobMessage } from '../src/queue/job-queue.ts';
import { buryJob, claimJob, insertDeadJob, jobState } from '../src/queue/jobs-store.ts';

/** Must match the dead_letter_queue of the consumer in wrangler.toml. */
export const DEAD_LETTER_QUEUE = 'cairn-jobs-dlq';

/** The kinds of the dead jobs that record poison messages (no handler runs them). */
export const INVALID_MESSAGE_KIND = 'queue.invalid-message';
export const UNKNOWN_JOB_KIND = 'queue.unknown-job';

const jobMessage = z.object({ jobId: z.uuid() });

// A job's lease on Workers covers its whole time budget: nothing renews it mid-run, and the
// scheduled maintenance (workers/scheduled.ts) re-sends or buries a job whose lease expired.
const LEASE_MARGIN_S = 60;

/** The start of a message body that cannot be stored as it is (any structured-clone value). */
function bodyPreview(body: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(body) ?? String(body);
  } catch {
    text = String(body);
  }
  const cut = text.slice(0, 1000);
  // Never end on half a surrogate pair: jsonb refuses a lone surrogate.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The Cloudflare Queues consumer. Each message names a stored job: it is claimed (a duplicate
 * for a job running, done or dead is acknowledged, so it does nothing), run with the same
 * executeJob as on Node, then acknowledged, retried with the job's backoff, or re-sent later
 * (a deferral must not spend Cloudflare's retries). Messages Cloudflare gave up on arrive from
 * the dead-letter queue and are recorded as dead jobs. A poison message (a body that names no
 * job, or a job that does not exist) is recorded in the dead-letter store with the reason and
 * acknowledged: retrying it could never help.
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
  const leaseSeconds = Math.max(
    deps.config.JOB_LEASE_S,
    Math.ceil(deps.config.JOB_TIMEOUT_MS / 1000) + LEASE_MARGIN_S,
  );
  const started = Date.now();
  for (const message of batch.messages) {
    const parsed = jobMessage.safeParse(message.body);
    const jobId = parsed.data?.jobId;
    try {
      if (!jobId) {
        const error = `poison message: the body names no job (expected {"jobId": "<uuid>"}): ${parsed.error?.issues[0]?.message ?? 'invalid'}`;
        const id = await insertDeadJob(deps.db, {
          kind: INVALID_MESSAGE_KIND,
          payload: { queue: batch.queue, messageId: message.id, body: bodyPreview(message.body) },
          error,
        });
        deps.logger.warn('queue message dead-lettered', { job_id: id, message_id: message.id, error });
        message.ack();
        continue;
      }
      if (batch.queue !== DEAD_LETTER_QUEUE && Date.now() - started > deps.config.JOB_TIMEOUT_MS / 2) {
        await deps.queue.publish([{ id: jobId }]);
        message.ack();
        continue;
      }
      if (batch.queue === DEAD_LETTER_QUEUE) {
        const job = await buryJob(deps.db, jobId, `delivery failed ${message.attempts} times`);
        if (job) await handlers[job.kind]?.onDead?.(deps, job.payload, job.lastError ?? 'delivery failed');
        else await settleUnclaimed(deps, batch.queue, message, jobId);
        message.ack();
        continue;
      }
      const job = await claimJob(deps.db, jobId, { workerId, leaseSeconds });
      if (!job) {
        await settleUnclaimed(deps, batch.queue, message, jobId);
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
      deps.logger.error('queue message failed', { job_id: jobId, err: error });
      message.retry();
    }
  }
}

/**
 * A message whose job could not be claimed: a job that does not exist is recorded as poison; one
 * queued for later (a message that came early) is re-sent for when it is due; a duplicate for a
 * job running, done or dead needs nothing.
 */
async function settleUnclaimed(deps: Deps, queue: string, message: Message<JobMessage>, jobId: string) {
  const state = await jobState(deps.db, jobId);
  if (!state) {
    const error = `poison message: job ${jobId} does not exist (never stored, or deleted after it finished)`;
    await insertDeadJob(deps.db, {
      kind: UNKNOWN_JOB_KIND,
      payload: { queue, messageId: message.id, jobId },
      error,
    });
    deps.logger.warn('queue message dead-lettered', { job_id: jobId, message_id: message.id, error });
  } else if (state.status === 'queued' && queue !== DEAD_LETTER_QUEUE) {
    await deps.queue.publish([{ id: jobId, delayMs: state.dueInMs }]);
  }
}
