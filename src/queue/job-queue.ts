/** A job already stored in the jobs table, announced to the runtime's consumer. */
export interface PublishedJob {
  id: string;
  /** Earliest delivery, relative to now. */
  delayMs?: number;
}

/** Delivers stored jobs to this runtime's consumer, at least once (docs/decisions/0005-rag.md). */
export interface JobQueue {
  publish(jobs: PublishedJob[]): Promise<void>;
}

/** What a Cloudflare Queue (or any transport) carries: only the job id. */
export interface JobMessage {
  jobId: string;
}
