/** Percentiles in milliseconds of a list of durations. */
function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), n: sorted.length };
}

/**
 * Runs each of `works` once per input (cycling), after a warm-up, and returns each one's latency
 * percentiles. The works take turns, input by input, so a load swing on a shared machine falls on
 * all of them alike and their ratios hold.
 */
export async function measureEach<T>(
  inputs: T[],
  iterations: number,
  works: Record<string, (input: T) => Promise<unknown>>,
) {
  const entries = Object.entries(works);
  for (const input of inputs.slice(0, 10)) for (const [, work] of entries) await work(input);
  const samples: Record<string, number[]> = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let i = 0; i < iterations; i++) {
    for (const [name, work] of entries) {
      const started = performance.now();
      await work(inputs[i % inputs.length]!);
      samples[name]!.push(performance.now() - started);
    }
  }
  return Object.fromEntries(entries.map(([name]) => [name, percentiles(samples[name]!)]));
}
