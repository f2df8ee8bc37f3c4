/**
 * Decides when a backend deletes its expired rows: at most once per interval per process,
 * piggybacked on ordinary calls so no timer outlives a request (Workers allow none).
 */
export interface SweepSchedule {
  due(now: number): boolean;
}

export function createSweepSchedule(intervalMs = 60_000): SweepSchedule {
  let next: number | undefined;
  return {
    due(now) {
      if (next === undefined) next = now + intervalMs;
      if (now < next) return false;
      next = now + intervalMs;
      return true;
    },
  };
}

/** How many expired rows one sweep deletes at most, so a sweep never holds locks for long. */
export const SWEEP_BATCH = 1000;
