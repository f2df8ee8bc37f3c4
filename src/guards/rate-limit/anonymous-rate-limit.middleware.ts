import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/app-env.ts';
import { quotaExceeded } from '../guard-errors.ts';
import { addressKey, clientIp } from './client-address.ts';
import { countRequest } from './count-request.ts';
import { setRateLimitHeaders } from './rate-limit.middleware.ts';

// Probes must answer even when a load balancer shares one address with an attacker.
const unlimitedPaths = new Set(['/health', '/ready']);

/**
 * The pre-auth limiter, per client address (the `anonymous` policies). It counts every
 * request sent without credentials (public pages, unknown paths, missing tokens) before it
 * runs, and every request whose credentials were rejected (401) after auth said so; once
 * the address is over its limit, both get 429. Authenticated requests are left to the
 * per-user limiter. X-Forwarded-For is used only with TRUST_PROXY set. CORS preflights from
 * allowed origins are answered before it and never counted (src/http/cors.middleware.ts says why);
 * its 429 takes OpenAI's error shape under /v1, as every app-level answer does there.
 */
export function anonymousRateLimit(): MiddlewareHandler<AppEnv> {
  return async function anonymousRateLimitMiddleware(c, next) {
    if (unlimitedPaths.has(c.req.path)) return next();
    const deps = c.get('deps');
    const address = clientIp(c.req.raw, deps.clientAddress(c.req.raw, c.env), deps.config.TRUST_PROXY);
    const count = () =>
      countRequest(
        { deps, logger: c.get('logger') },
        {
          guard: 'anonymous-rate-limit',
          key: `anonymous:${addressKey(address)}`,
          policies: deps.config.RATE_LIMIT_POLICIES.anonymous,
        },
      );
    const credentialed = c.req.header('Authorization') !== undefined;
    const before = credentialed ? undefined : await count();
    if (before && !before.allowed) throw quotaExceeded(before);
    await next();
    const decision = credentialed && c.res.status === 401 ? await count() : before;
    if (decision && !decision.allowed) throw quotaExceeded(decision);
    if (decision) setRateLimitHeaders(c, decision);
  };
}
