import { CairnProblemError } from './problem.ts';

/** How the client retries a call that may safely run again. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** The first backoff when the server names no `Retry-After`, doubled each time, with full jitter (default 250 ms). */
  baseDelayMs?: number;
  /** The longest wait; a `Retry-After` longer than this ends the retries (default 10 000 ms). */
  maxDelayMs?: number;
}

export type ResolvedRetry = Required<RetryOptions>;

export function resolveRetry(option: RetryOptions | boolean | undefined): ResolvedRetry | undefined {
  if (!option) return undefined;
  const given = option === true ? {} : option;
  return {
    attempts: Math.max(1, Math.floor(given.attempts ?? 3)),
    baseDelayMs: given.baseDelayMs ?? 250,
    maxDelayMs: given.maxDelayMs ?? 10_000,
  };
}

/** Methods that HTTP defines as idempotent; anything else is retried only with an Idempotency-Key. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

const isAbort = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';

/**
 * How long to wait before the next attempt after `error`, or undefined when it must not be retried:
 * 429 and 503 (overloaded, rate-limited, a guard store down), a 409 `idempotency-key-in-use` (the
 * first attempt still runs), and network failures (fetch rejecting, never an abort).
 */
export function retryDelay(error: unknown, attempt: number, retry: ResolvedRetry): number | undefined {
  let retryAfterS: number | undefined;
  if (error instanceof CairnProblemError) {
    const inUse = error.status === 409 && error.type.endsWith(':idempotency-key-in-use');
    if (error.status !== 429 && error.status !== 503 && !inUse) return undefined;
    retryAfterS = error.retryAfter;
  } else if (!(error instanceof TypeError) || isAbort(error)) {
    return undefined;
  }
  if (retryAfterS !== undefined) {
    const ms = retryAfterS * 1000;
    return ms > retry.maxDelayMs ? undefined : ms;
  }
  return Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
}

export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
