/** What one fault-injection scenario reports. */
export interface FaultRun {
  scenario: string;
  /** How the run was set up (sizes, timeouts, durations). */
  setup: Record<string, unknown>;
  /** The figures, one row per database or per phase: printed as a table too. */
  rows: Record<string, unknown>[];
  /** What the run found wrong, in words; empty when every expectation held. */
  defects: string[];
}

/** Settings every fault run starts cairn with: no rate limit is met by accident. */
export const UNLIMITED =
  'model:999999999/1s;write:999999999/1s;read:999999999/1s;admin:999999999/1s;anonymous:999999999/1s';
