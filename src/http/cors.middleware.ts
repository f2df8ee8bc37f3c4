import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from './app-env.ts';

// What a page may send: the API's own request headers, W3C trace context, and what the `openai`
// npm SDK sends from a browser (`dangerouslyAllowBrowser`): its X-Stainless-* telemetry, the
// organization and project, and OpenAI-Beta. `Accept` is CORS-safelisted; `Content-Type` is
// not for `application/json`.
const allowHeaders = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Request-Id',
  'traceparent',
  'tracestate',
  'OpenAI-Organization',
  'OpenAI-Project',
  'OpenAI-Beta',
  'X-Stainless-Arch',
  'X-Stainless-Custom-Poll-Interval',
  'X-Stainless-Helper-Method',
  'X-Stainless-Lang',
  'X-Stainless-OS',
  'X-Stainless-Package-Version',
  'X-Stainless-Poll-Helper',
  'X-Stainless-Retry-Count',
  'X-Stainless-Runtime',
  'X-Stainless-Runtime-Version',
  'X-Stainless-Timeout',
];

// What a page may read besides the CORS-safelisted response headers: the limits and when to retry,
// whether an answer was replayed, the request id to quote, and the gateway's cost and overhead.
const exposeHeaders = [
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'Idempotent-Replayed',
  'X-Request-Id',
  'x-cairn-cost-usd',
  'x-cairn-overhead-ms',
];

/**
 * CORS for the exact origins in CORS_ALLOWED_ORIGINS, with hono's cors middleware. A request from
 * any other origin, or without one, gets no CORS headers at all (only `Vary: Origin`, so a cache
 * never hands one origin's answer to another), and its browser refuses to let the page read it.
 *
 * Registered after the request context (which holds the settings) and before the pre-auth limiter
 * and every route's guards: a preflight never carries credentials (browsers send none), so it must
 * not need a token, and it is not counted by the pre-auth limiter either. Browsers send preflights on
 * their own (page scripts cannot), one per distinct request until `Access-Control-Max-Age`; counting
 * them would spend a browser client's anonymous budget on requests it did not make, and a 429 to a
 * preflight reaches the page as an opaque network error, without Retry-After. Answering one costs no
 * database or guard-store round trip, as /health does not. Preflights from origins not allowed are
 * not answered here: they fall through to the app (a 404/405, counted as any anonymous request).
 *
 * Credentials (cookies) are never allowed: the API takes bearer tokens, and the admin dashboard's
 * session cookie must not be usable from another origin.
 */
export function corsForAllowedOrigins(): MiddlewareHandler<AppEnv> {
  const answer = cors({
    // Reached only for an allowed origin, which is echoed (never `*`).
    origin: (origin) => origin,
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders,
    exposeHeaders,
    // Chromium's cap; a removed origin still fails at once, as the response itself then lacks it.
    maxAge: 7200,
    credentials: false,
  });
  return async function corsMiddleware(c, next) {
    const allowed = c.get('deps').config.CORS_ALLOWED_ORIGINS;
    if (allowed.length === 0) return next();
    const origin = c.req.header('Origin');
    if (origin !== undefined && allowed.includes(origin)) return answer(c, next);
    await next();
    c.header('Vary', 'Origin', { append: true });
  };
}
