import type { Context, MiddlewareHandler } from 'hono';
import { requireAuth } from '../../auth/auth.middleware.ts';
import { notFound } from '../../errors.ts';
import { rateLimit } from '../../guards/rate-limit/rate-limit.middleware.ts';
import type { AppEnv, AuthedEnv } from '../../http/app-env.ts';
import { scrapeOf } from './metrics-scrape.ts';
import { tokensMatch } from './metrics-token.ts';

const bearer = /^Bearer[ ]+(\S+)$/;

/**
 * Guards `GET /metrics`: 404 where the runtime has no scrape (Workers); otherwise passes
 * `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time) when that setting is set,
 * and else requires an admin JWT and counts it in the admin rate limit, as admin routes do.
 */
export function metricsAuth(): MiddlewareHandler<AppEnv> {
  const admin = requireAuth('admin');
  const limit = rateLimit('admin');
  return async function metricsAuthMiddleware(c, next) {
    const { config, telemetry } = c.get('deps');
    if (!scrapeOf(telemetry.meter)) {
      throw notFound(
        'This runtime serves no metrics: Workers push them over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.',
      );
    }
    const presented = bearer.exec(c.req.header('Authorization')?.trim() ?? '')?.[1];
    if (config.METRICS_TOKEN && presented && (await tokensMatch(presented, config.METRICS_TOKEN))) {
      await next();
      return;
    }
    // requireAuth sets `principal` before rateLimit reads it; the handler itself never does.
    const authed = c as unknown as Context<AuthedEnv>;
    await admin(authed, async () => {
      await limit(authed, next);
    });
  };
}
