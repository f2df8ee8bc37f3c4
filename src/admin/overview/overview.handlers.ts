import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { getOverviewRoute, overviewResponseSchema } from './overview.routes.ts';
import { getOverview, type HttpRequestFigures, type ModelCallFigures, type Overview } from './overview.ts';

type OverviewBody = z.input<typeof overviewResponseSchema>;

const toFiguresResponse = (figures: ModelCallFigures): OverviewBody['totals'] => ({
  requests: figures.requests,
  model_calls: figures.calls,
  failed_model_calls: figures.failedCalls,
  model_call_error_rate: figures.errorRate,
  model_call_latency_p50_ms: figures.latencyP50Ms,
  model_call_latency_p95_ms: figures.latencyP95Ms,
  tokens_in: figures.tokensIn,
  tokens_out: figures.tokensOut,
  cost_usd: figures.costUsd,
});

const toHttpFiguresResponse = (figures: HttpRequestFigures): OverviewBody['http']['totals'] => ({
  requests: figures.requests,
  server_errors: figures.serverErrors,
  client_errors: figures.clientErrors,
  error_rate: figures.errorRate,
  latency_p50_ms: figures.latencyP50Ms,
  latency_p95_ms: figures.latencyP95Ms,
});

const toOverviewResponse = (overview: Overview): OverviewBody => ({
  generated_at: overview.generatedAt.toISOString(),
  from: overview.from,
  to: overview.to,
  active_users: {
    last_day: overview.activeUsers.day,
    last_7_days: overview.activeUsers.week,
    last_30_days: overview.activeUsers.month,
  },
  totals: toFiguresResponse(overview.totals),
  daily: overview.daily.map((day) => ({ day: day.day, ...toFiguresResponse(day) })),
  http: {
    totals: toHttpFiguresResponse(overview.http.totals),
    daily: overview.http.daily.map((day) => ({ day: day.day, ...toHttpFiguresResponse(day) })),
  },
  queue: overview.queue,
});

export const getOverviewHandler: RouteHandler<typeof getOverviewRoute, AuthedEnv> = async (c) =>
  c.json(toOverviewResponse(await getOverview(c.get('deps'), c.req.valid('query'))), 200);
