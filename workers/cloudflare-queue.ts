import type { JobMessage, JobQueue } from '../src/queue/job-queue.ts';

// Cloudflare Queues limits: 100 messages per sendBatch, delays of at most 12 hours.
const BATCH = 100;
const MAX_DELAY_S = 12 * 3600;

/** The producer on Workers: each stored job becomes one message carrying only its id. */
export function createCloudflareQueue(queue: Queue<JobMessage>): JobQueue {
  return {
    async publish(jobs) {
      for (let i = 0; i < jobs.length; i += BATCH) {
        await queue.sendBatch(
          jobs.slice(i, i + BATCH).map((job) => ({
            body: { jobId: job.id },
            delaySeconds: Math.min(MAX_DELAY_S, Math.ceil((job.delayMs ?? 0) / 1000)),
          })),
        );
      }
    },
  };
}
