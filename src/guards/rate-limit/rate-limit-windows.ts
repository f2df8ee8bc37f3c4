import type { RateLimitPolicy } from './rate-limit-policies.ts';
import type { RateLimitDecision } from './rate-limiter.ts';

/** A key's counters: policy name → [window start (epoch ms), requests counted in it]. */
export type WindowState = Record<string, readonly [start: number, count: number]>;

export interface WindowCount {
  start: number;
  count: number;
}

/** What a backend reports for one hit: whether it was counted and each policy's window after it. */
export interface HitOutcome {
  allowed: boolean;
  windows: WindowCount[];
}

export function windowStart(policy: RateLimitPolicy, now: number): number {
  const ms = policy.windowS * 1000;
  return Math.floor(now / ms) * ms;
}

/** Each policy's current window as `state` records it (a window that has ended counts from zero). */
export function currentWindows(
  state: WindowState | undefined,
  policies: readonly RateLimitPolicy[],
  now: number,
): WindowCount[] {
  return policies.map((policy) => {
    const start = windowStart(policy, now);
    const stored = state?.[policy.name];
    return stored && stored[0] >= start ? { start: stored[0], count: stored[1] } : { start, count: 0 };
  });
}

/**
 * The whole algorithm for backends that hold a key's state in memory (in-process, Durable
 * Object): a request passes only if every policy has room, and then counts in all of them.
 * A stored window newer than the caller's clock is kept, so instances with slightly
 * different clocks never move a window backwards and reopen it.
 */
export function applyHit(
  state: WindowState | undefined,
  policies: readonly RateLimitPolicy[],
  now: number,
): HitOutcome & { state: WindowState; expiresAt: number } {
  const windows = currentWindows(state, policies, now);
  const allowed = windows.every((w, i) => w.count < policies[i]!.limit);
  if (allowed) for (const w of windows) w.count += 1;
  const next: WindowState = {};
  let expiresAt = now;
  policies.forEach((policy, i) => {
    const w = windows[i]!;
    next[policy.name] = [w.start, w.count];
    expiresAt = Math.max(expiresAt, w.start + policy.windowS * 1000);
  });
  return { allowed, windows, state: next, expiresAt };
}

/** Turns a backend's outcome into the decision the HTTP layer reports. */
export function decide(
  policies: readonly RateLimitPolicy[],
  outcome: HitOutcome,
  now: number,
): RateLimitDecision {
  const statuses = policies.map((policy, i) => {
    const w = outcome.windows[i]!;
    const resetMs = Math.min(Math.max(w.start + policy.windowS * 1000 - now, 0), policy.windowS * 1000);
    return { policy, remaining: Math.max(policy.limit - w.count, 0), resetS: Math.ceil(resetMs / 1000) };
  });
  if (outcome.allowed) return { allowed: true, policies, statuses, violated: [], retryAfterS: 0 };
  const violated = statuses.filter((s) => s.remaining === 0);
  return {
    allowed: false,
    policies,
    statuses,
    violated: violated.map((s) => s.policy.name),
    retryAfterS: Math.max(1, ...violated.map((s) => s.resetS)),
  };
}
