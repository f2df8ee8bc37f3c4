import type { Deps } from '../deps.ts';

export interface JobContext {
  id: string;
  attempt: number;
  maxAttempts: number;
  /**
   * Aborted when the job's time budget (JOB_TIMEOUT_MS) runs out: the attempt has already
   * failed, so a handler stops at its next step instead of writing anything more.
   */
  signal?: AbortSignal;
  /** Where CPU-heavy steps run off the event loop (a worker thread on Node); absent: run them inline. */
  offload?: Offload;
}

/**
 * A CPU-bound step a job can hand to `offload`: a function of plain data (it crosses threads),
 * under a name the Node worker thread knows it by (src/node/offload-thread.ts).
 */
export interface OffloadTask<I, O> {
  name: string;
  run(input: I): Promise<O>;
}

/** Runs a task away from the event loop that answers requests; aborting `signal` stops it outright. */
export interface Offload {
  run<I, O>(task: OffloadTask<I, O>, input: I, signal: AbortSignal): Promise<O>;
}

/** Runs a task through `job.offload` when the runtime has one, else here (bounded by the task itself). */
export function runOffloaded<I, O>(job: JobContext, task: OffloadTask<I, O>, input: I): Promise<O> {
  return job.offload
    ? job.offload.run(task, input, job.signal ?? new AbortController().signal)
    : task.run(input);
}

/** A handler may ask to run again later without it counting as a failed attempt. */
export interface JobDeferral {
  deferMs: number;
}

/** How one kind of job runs; handlers must be idempotent (delivery is at-least-once). */
export interface JobHandler {
  run(deps: Deps, payload: Record<string, unknown>, job: JobContext): Promise<JobDeferral | undefined>;
  /** Called once when the job lands in the dead-letter store. */
  onDead?(deps: Deps, payload: Record<string, unknown>, error: string): Promise<void>;
  /** Called when an admin re-drives the job from the dead-letter store. */
  onRetry?(deps: Deps, payload: Record<string, unknown>): Promise<void>;
}

export type JobHandlers = Record<string, JobHandler>;

/** Thrown by a handler when retrying cannot help: the job goes straight to the dead-letter store. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
