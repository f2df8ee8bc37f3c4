/**
 * Runs `op` from `clients` concurrent closed loops (each starts its next call when the last one
 * ends) for `durationMs` after a warm-up of `warmupMs`, and returns each measured call's latency
 * in ms, sorted, with the calls per second.
 */
export async function closedLoop(
  clients: number,
  op: (client: number, i: number) => Promise<unknown>,
  options: { durationMs: number; warmupMs: number },
): Promise<{ samples: number[]; opsPerS: number }> {
  const measureFrom = performance.now() + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; ; i++) {
        const t = performance.now();
        if (t >= end) return;
        await op(client, i);
        if (t >= measureFrom) samples.push(performance.now() - t);
      }
    }),
  );
  samples.sort((a, b) => a - b);
  return { samples, opsPerS: Math.round(samples.length / (options.durationMs / 1000)) };
}

/** The `q` quantile of sorted samples. */
export const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
