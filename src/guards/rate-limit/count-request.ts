import { inSpan } from '../../observability/tracing.ts';
import type { GuardName } from '../guard-metrics.ts';
import { type GuardContext, rejected, storeFailed, withinTimeout } from '../store-failure.ts';
import type { RateLimitPolicy } from './rate-limit-policies.ts';
import type { RateLimitDecision } from './rate-limiter.ts';

/**
 * Counts one request for `key` against `policies`. Returns the decision (a rejection is
 * logged and counted here), or undefined when the store failed and the guard fails open.
 */
export function countRequest(
  ctx: GuardContext,
  input: { guard: GuardName; key: string; policies: readonly RateLimitPolicy[] },
): Promise<RateLimitDecision | undefined> {
  const { deps, logger } = ctx;
  return inSpan(
    deps.telemetry,
    `guard.${input.guard.replaceAll('-', '_')}`,
    { attributes: { 'cairn.guard': input.guard } },
    async (span) => {
      let decision: RateLimitDecision;
      try {
        decision = await withinTimeout(
          deps.guards.rateLimiter.hit({
            key: input.key,
            policies: input.policies,
            now: deps.now().getTime(),
          }),
          deps.config.GUARD_TIMEOUT_MS,
        );
      } catch (error) {
        span.setAttribute('cairn.guard.decision', 'store-failed');
        storeFailed(ctx, input.guard, error);
        return undefined;
      }
      span.setAttribute('cairn.guard.decision', decision.allowed ? 'allowed' : 'rejected');
      if (!decision.allowed) {
        rejected(ctx, input.guard, 'quota-exceeded');
        logger.warn('request rejected', {
          guard: input.guard,
          reason: 'quota-exceeded',
          subject: input.key,
          violated_policies: decision.violated,
          retry_after_s: decision.retryAfterS,
        });
      }
      return decision;
    },
  );
}
