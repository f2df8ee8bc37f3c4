/** Percentiles in milliseconds of a list of durations. */
function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), n: sorted.length };
}

/** Runs `work` once per input (cycling), after a warm-up, and returns the latency percentiles. */
export async function measure<T>(inputs: T[], iterations: number, work: (input: T) => Promise<unknown>) {
  for (const input of inputs.slice(0, 10)) await work(input);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await work(inputs[i % inputs.length]!);
    samples.push(performance.now() - started);
  }
  return percentiles(samples);
}
