import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/app-env.ts';

/** What a gateway handler reports about its model calls, for the response headers. */
export interface ModelCallReport {
  /** Unknown until the end of a stream, so absent on streamed responses. */
  costUsd?: number;
  upstreamMs: number;
}

/** A cost in USD as a plain decimal (never exponent notation), without trailing zeros. */
export const formatUsd = (usd: number) => usd.toFixed(10).replace(/\.?0+$/, '') || '0';

/**
 * Adds `x-cairn-cost-usd` and `x-cairn-overhead-ms` (time spent in cairn, upstream excluded)
 * to every response whose handler reported a model call. Registered ahead of the routes' guards
 * so the overhead includes authentication, rate limiting and idempotency.
 */
export function modelCallHeaders(): MiddlewareHandler<AppEnv> {
  return async function modelCallHeadersMiddleware(c, next) {
    const started = performance.now();
    await next();
    const report = c.get('modelCall');
    if (!report) return;
    if (report.costUsd !== undefined) c.res.headers.set('x-cairn-cost-usd', formatUsd(report.costUsd));
    const overhead = Math.max(0, performance.now() - started - report.upstreamMs);
    c.res.headers.set('x-cairn-overhead-ms', overhead.toFixed(3));
  };
}
