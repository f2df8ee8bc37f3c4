import { expect } from 'vitest';

/** Generous on purpose: a behaviour check (the server keeps answering), not a speed test. */
const HEALTH_BUDGET_MS = 1000;
const PROBE_EVERY_MS = 20;

export interface Responsiveness<T> {
  result: T;
  /** The longest a /health probe waited, counted from when it was due (so event-loop stalls count). */
  worstHealthMs: number;
  probes: number;
}

/**
 * Runs `work` while probing `/health` every 20 ms through `sendHealth` (in-process or over HTTP),
 * and fails when a probe waited longer than `budgetMs` or did not answer 200. A probe's wait runs
 * from when it was due, not from when the timer got to fire: a blocked event loop delays both.
 */
export async function expectResponsive<T>(
  sendHealth: () => Promise<Response>,
  work: () => Promise<T>,
  budgetMs = HEALTH_BUDGET_MS,
): Promise<Responsiveness<T>> {
  let done = false;
  let worst = 0;
  let probes = 0;
  const failures: string[] = [];
  const poll = (async () => {
    let due = performance.now();
    while (!done) {
      const response = await sendHealth();
      await response.arrayBuffer();
      const waited = performance.now() - due;
      worst = Math.max(worst, waited);
      probes++;
      if (response.status !== 200) failures.push(`/health answered ${response.status}`);
      due = performance.now() + PROBE_EVERY_MS;
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
    // The last probe, after the work: a stall at its very end counts too.
    const last = performance.now();
    await (await sendHealth()).arrayBuffer();
    worst = Math.max(worst, performance.now() - Math.min(last, due));
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    done = true;
    await poll;
  }
  expect(failures, failures.join('; ')).toEqual([]);
  expect(worst, `/health waited ${Math.round(worst)} ms (budget ${budgetMs} ms)`).toBeLessThanOrEqual(
    budgetMs,
  );
  return { result, worstHealthMs: worst, probes };
}

const ROUNDS = 3;
// A run faster than this counts as this long. Under a millisecond a run's time says little about
// its growth: a regular expression scans 100,000 characters in about 0.1 ms, while a 4n run also
// pays the runtime's fixed memory costs (fresh pages for each object over 128 KiB and for a growing
// heap: page faults, which cost milliseconds on some virtual machines). A quadratic cost at the
// sizes tested takes far longer than a millisecond at n already.
const FLOOR_MS = 1;

/**
 * Asserts that `run(n)` grows about linearly: the time for 4n, divided by the time for n, measured
 * in the same run, stays under `maxRatio` (linear is 4; quadratic is 16). Each size runs three
 * times and the fastest run counts; a round that fails is measured again (up to three rounds),
 * since a busy machine can slow one round but a quadratic cost fails every one. Never an absolute time.
 */
export async function expectLinearGrowth(
  run: (n: number) => unknown | Promise<unknown>,
  n: number,
  maxRatio = 8,
): Promise<number> {
  const fastest = async (size: number) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await run(size);
      best = Math.min(best, performance.now() - started);
    }
    return Math.max(best, FLOOR_MS);
  };
  // Warm-up at both sizes: lazy imports, and the JIT's tiers, which a first 4n run would pay alone.
  await run(n);
  await run(4 * n);
  let ratio = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS && ratio >= maxRatio; round++) {
    ratio = Math.min(ratio, (await fastest(4 * n)) / (await fastest(n)));
  }
  expect(ratio, `time(4n)/time(n) = ${ratio.toFixed(1)} at n=${n}`).toBeLessThan(maxRatio);
  return ratio;
}

/**
 * expectLinearGrowth for a parser: `build(n)` makes the input once per size (outside the timing),
 * `parse` is what is timed.
 */
export function expectLinearParse<T>(
  build: (n: number) => T,
  parse: (input: T) => unknown,
  n: number,
  maxRatio?: number,
): Promise<number> {
  const inputs = new Map<number, T>();
  const input = (size: number) => {
    if (!inputs.has(size)) inputs.set(size, build(size));
    return inputs.get(size) as T;
  };
  return expectLinearGrowth((size) => parse(input(size)), n, maxRatio);
}
