/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries
 * of many jobs that failed together spread out without any retry coming too early.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
