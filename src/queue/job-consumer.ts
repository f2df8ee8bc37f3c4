import { retentionMaintenance } from '../account/retention.ts';
import { subscriptionMaintenance } from '../billing/subscriptions/period-end.ts';
import type { Deps } from '../deps.ts';
import { executeJob } from './execute-job.ts';
import type { JobHandlers, Offload } from './job-handler.ts';
import {
  buryAbandonedJobs,
  type ClaimedJob,
  claimDueJobs,
  deleteFinishedJobs,
  extendLease,
  msUntilNextDue,
  releaseRunningJobs,
} from './jobs-store.ts';

export interface JobConsumer {
  readonly workerId: string;
  start(): Promise<void>;
  /** Polls now instead of at the next interval (a job was just published). */
  wake(): void;
  /** Stops claiming, then waits for the jobs in flight to finish. */
  stop(): Promise<void>;
}

const MAINTENANCE_EVERY_MS = 60_000;
const FINISHED_RETENTION_HOURS = 24;

/** Runs a claimed job while renewing its lease, so a long job is not taken over by another worker. */
async function runLeased(
  deps: Deps,
  handlers: JobHandlers,
  job: ClaimedJob,
  options: { workerId: string; offload: Offload | undefined },
) {
  const { workerId } = options;
  const lease = deps.config.JOB_LEASE_S;
  const timer = setInterval(
    () => {
      extendLease(deps.db, job.id, workerId, lease).catch((error: unknown) =>
        deps.logger.warn('job lease renewal failed', { job_id: job.id, err: error }),
      );
    },
    (lease * 1000) / 3,
  );
  try {
    return await executeJob(deps, handlers, job, { offload: options.offload });
  } finally {
    clearInterval(timer);
  }
}

async function maintain(deps: Deps, handlers: JobHandlers) {
  for (const job of await buryAbandonedJobs(deps.db)) {
    await handlers[job.kind]?.onDead?.(deps, job.payload, job.lastError ?? 'worker lost');
  }
  await deleteFinishedJobs(deps.db, FINISHED_RETENTION_HOURS);
  // Subscriptions whose period ended: usage records, plan fallbacks, admin renewals.
  await subscriptionMaintenance(deps);
  // RETENTION_*_DAYS, in bounded batches (logs its own failure).
  await retentionMaintenance(deps);
}

/**
 * The Node consumer: polls the jobs table (shared by every instance on PostgreSQL, in-process
 * on the embedded database), runs up to JOB_CONCURRENCY jobs at once, and wakes early when
 * this process publishes. `exclusive` says no other process uses the database (PGlite): jobs
 * left running by a previous process are queued again at start, and an idle consumer sleeps
 * until the next job is due (or maintenance), since every new job is published here and wakes
 * it, instead of polling every JOB_POLL_INTERVAL_MS. `offload` runs the CPU-heavy steps of jobs
 * off the event loop (see JobContext).
 */
export function createJobConsumer(options: {
  deps: Deps;
  handlers: JobHandlers;
  workerId?: string;
  exclusive?: boolean;
  offload?: Offload;
}): JobConsumer {
  const { deps, handlers } = options;
  const workerId = options.workerId ?? `worker-${crypto.randomUUID()}`;
  const inflight = new Set<Promise<unknown>>();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let signalled = false;
  let release: (() => void) | undefined;
  let lastMaintenance = 0;

  const wake = () => {
    signalled = true;
    release?.();
  };
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (signalled) return resolve();
      const timer = setTimeout(resolve, ms);
      release = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      signalled = false;
      release = undefined;
    });

  /** Claims what is due and starts it; resolves to how long to wait before the next poll. */
  async function poll(): Promise<number> {
    const interval = deps.config.JOB_POLL_INTERVAL_MS;
    if (Date.now() - lastMaintenance > MAINTENANCE_EVERY_MS) {
      lastMaintenance = Date.now();
      await maintain(deps, handlers);
    }
    const free = deps.config.JOB_CONCURRENCY - inflight.size;
    // A job ending wakes the consumer.
    if (free <= 0) return interval;
    const claimed = await claimDueJobs(deps.db, {
      workerId,
      limit: free,
      leaseSeconds: deps.config.JOB_LEASE_S,
    });
    for (const job of claimed) {
      const running = runLeased(deps, handlers, job, { workerId, offload: options.offload })
        .catch((error: unknown) => deps.logger.error('job crashed', { job_id: job.id, err: error }))
        .finally(() => {
          inflight.delete(running);
          wake();
        });
      inflight.add(running);
    }
    // A full batch means more may be due: poll again at once if there is room.
    if (claimed.length === free && inflight.size < deps.config.JOB_CONCURRENCY) signalled = true;
    if (!options.exclusive || claimed.length > 0) return interval;
    const untilMaintenance = lastMaintenance + MAINTENANCE_EVERY_MS - Date.now();
    const untilDue = (await msUntilNextDue(deps.db)) ?? Number.POSITIVE_INFINITY;
    return Math.max(interval, Math.min(untilDue, untilMaintenance));
  }

  async function run() {
    while (!stopping) {
      let idle = deps.config.JOB_POLL_INTERVAL_MS;
      try {
        idle = await poll();
      } catch (error) {
        deps.logger.error('job poll failed', { err: error });
      }
      if (!stopping) await wait(idle);
    }
  }

  return {
    workerId,
    async start() {
      if (loop) return;
      if (options.exclusive) {
        const released = await releaseRunningJobs(deps.db);
        if (released > 0) deps.logger.info('resuming interrupted jobs', { count: released });
      }
      loop = run();
    },
    wake,
    async stop() {
      stopping = true;
      wake();
      await loop;
      await Promise.allSettled([...inflight]);
    },
  };
}
