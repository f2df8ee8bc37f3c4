export type GuardName = 'rate-limit' | 'anonymous-rate-limit' | 'idempotency' | 'inflight';

export interface GuardCount {
  guard: GuardName;
  outcome: string;
  count: number;
}

/** Counts guard outcomes worth alerting on (rejections, replays, store failures) per process. */
export interface GuardMetrics {
  count(guard: GuardName, outcome: string): void;
  snapshot(): GuardCount[];
}

export function createGuardMetrics(): GuardMetrics {
  const counts = new Map<string, GuardCount>();
  return {
    count(guard, outcome) {
      const id = `${guard}\u0000${outcome}`;
      const entry = counts.get(id);
      if (entry) entry.count += 1;
      else counts.set(id, { guard, outcome, count: 1 });
    },
    snapshot: () => [...counts.values()].map((entry) => ({ ...entry })),
  };
}
