/** Route classes with their own rate-limit policies (configured per class). */
const routeClasses = ['model', 'write', 'read', 'admin'] as const;
export type RouteClass = (typeof routeClasses)[number];

/** Route classes plus the pre-auth limiter, keyed by client address. */
const limitedClasses = [...routeClasses, 'anonymous'] as const;
export type LimitedClass = (typeof limitedClasses)[number];

/** At most `limit` requests per fixed window of `windowS` seconds (windows are aligned to the epoch). */
export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowS: number;
}

export type RateLimitPolicies = Record<LimitedClass, RateLimitPolicy[]>;

/**
 * Each class pairs a short "burst" window with a longer sustained one; model routes are
 * the tightest because every request costs a model call.
 */
const DEFAULT_RATE_LIMIT_POLICIES =
  'model:10/1s,300/1m;write:20/1s,600/1m;read:50/1s,1500/1m;admin:50/1s,1500/1m;anonymous:20/1s,300/1m';

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const policyPattern = /^(\d{1,9})\/(\d{1,6})([smhd])$/;
const MAX_WINDOW_S = 7 * 86_400;

function windowLabel(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

function parseClass(name: string, list: string): RateLimitPolicy[] {
  const policies = list.split(',').map((item) => {
    const match = policyPattern.exec(item.trim());
    if (!match)
      throw new Error(`"${item.trim()}" in class "${name}" is not <limit>/<n><s|m|h|d>, e.g. 10/1s`);
    const limit = Number(match[1]);
    const windowS = Number(match[2]) * units[match[3]!]!;
    if (limit < 1) throw new Error(`class "${name}": a limit must be at least 1`);
    if (windowS < 1 || windowS > MAX_WINDOW_S) throw new Error(`class "${name}": a window must be 1s to 7d`);
    return { name: `${name}-${windowLabel(windowS)}`, limit, windowS };
  });
  const names = new Set(policies.map((p) => p.name));
  if (names.size !== policies.length)
    throw new Error(`class "${name}" has two policies with the same window`);
  return policies.sort((a, b) => a.windowS - b.windowS);
}

/**
 * Parses `class:limit/window,limit/window;class:...` (e.g. `model:10/1s,300/1m`) over the
 * defaults: classes not named keep their default policies. Throws with a readable message.
 */
export function parseRateLimitPolicies(text: string | undefined): RateLimitPolicies {
  const policies = {} as RateLimitPolicies;
  for (const source of [DEFAULT_RATE_LIMIT_POLICIES, text ?? '']) {
    for (const entry of source.split(';')) {
      if (entry.trim() === '') continue;
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon).trim();
      if (colon < 0 || !limitedClasses.includes(name as LimitedClass)) {
        throw new Error(`"${entry.trim()}" must start with one of ${limitedClasses.join(', ')} and a colon`);
      }
      policies[name as LimitedClass] = parseClass(name, entry.slice(colon + 1));
    }
  }
  return policies;
}
