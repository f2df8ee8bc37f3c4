import type { JobMessage } from '../src/queue/job-queue.ts';
import type { IdempotencyObject } from './guards/idempotency-object.ts';
import type { RateLimiterObject } from './guards/rate-limiter-object.ts';

/** The bindings cairn reads on Workers; vars and secrets are plain strings. */
export interface Env {
  HYPERDRIVE?: Hyperdrive;
  DATABASE_URL?: string;
  RATE_LIMITER?: DurableObjectNamespace<RateLimiterObject>;
  IDEMPOTENCY?: DurableObjectNamespace<IdempotencyObject>;
  /** Background jobs (ingestion, index builds): the producer; this worker is also the consumer. */
  JOBS_QUEUE?: Queue<JobMessage>;
  [setting: string]: unknown;
}
