import type { JobQueue } from './job-queue.ts';

/**
 * The jobs table is the queue: publishing only wakes an in-process consumer early.
 * Other instances polling the same table find the jobs on their next poll.
 */
export function createDatabaseQueue(options: { onPublish?: () => void } = {}): JobQueue {
  return {
    async publish(jobs) {
      if (jobs.length > 0) options.onPublish?.();
    },
  };
}
