import type { Deps } from '../deps.ts';

export interface JobContext {
  id: string;
  attempt: number;
  maxAttempts: number;
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
