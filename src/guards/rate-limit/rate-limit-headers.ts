import type { RateLimitPolicy } from './rate-limit-policies.ts';
import type { RateLimitDecision } from './rate-limiter.ts';

// Policies are fixed per route class, so their header value is built once per policy list.
const policyFields = new WeakMap<readonly RateLimitPolicy[], string>();

function policyField(policies: readonly RateLimitPolicy[]): string {
  let field = policyFields.get(policies);
  if (field === undefined) {
    field = policies.map((p) => `"${p.name}";q=${p.limit};w=${p.windowS}`).join(', ');
    policyFields.set(policies, field);
  }
  return field;
}

/**
 * `RateLimit-Policy` and `RateLimit` as structured fields (IETF draft-ietf-httpapi-ratelimit-headers-11):
 * `"model-1s";q=10;w=1, "model-1m";q=300;w=60` and `"model-1s";r=9;t=1, "model-1m";r=299;t=42`.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'RateLimit-Policy': policyField(decision.policies),
    RateLimit: decision.statuses.map((s) => `"${s.policy.name}";r=${s.remaining};t=${s.resetS}`).join(', '),
  };
}
