import type { Context, MiddlewareHandler } from 'hono';
import type { AuthedEnv } from '../../http/app-env.ts';
import { bindUser } from '../../observability/tracing.ts';
import { quotaExceeded } from '../guard-errors.ts';
import { countRequest } from './count-request.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';
import type { RouteClass } from './rate-limit-policies.ts';
import type { RateLimitDecision } from './rate-limiter.ts';

/** Adds `RateLimit-Policy` and `RateLimit` to whatever response the route produced. */
export function setRateLimitHeaders(c: Pick<Context, 'res' | 'header'>, decision: RateLimitDecision): void {
  const headers = Object.entries(rateLimitHeaders(decision));
  // Once the route has answered, c.header() copies the whole Response on every call; the
  // responses routes build have mutable headers, so set them in place and copy only when not.
  try {
    for (const [name, value] of headers) c.res.headers.set(name, value);
  } catch {
    for (const [name, value] of headers) c.header(name, value);
  }
}

/**
 * Limits the authenticated caller per route class (RATE_LIMIT_POLICIES): 429 problem with
 * Retry-After when a policy is exhausted, RateLimit headers on every response. Use after requireAuth;
 * being the first guard to know the caller, it puts `user_id` on the request's log lines from here.
 */
export function rateLimit(routeClass: RouteClass): MiddlewareHandler<AuthedEnv> {
  return async function rateLimitMiddleware(c, next) {
    const principal = c.get('principal');
    const deps = c.get('deps');
    bindUser(deps.telemetry.context, principal.userId);
    const decision = await countRequest(
      { deps, logger: c.get('logger') },
      {
        guard: 'rate-limit',
        key: `${routeClass}:user:${principal.userId}`,
        policies: deps.config.RATE_LIMIT_POLICIES[routeClass],
      },
    );
    if (decision && !decision.allowed) throw quotaExceeded(decision);
    await next();
    if (decision) setRateLimitHeaders(c, decision);
  };
}
