import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';

const day = z.iso.date().openapi({ example: '2026-11-25' });

// The same figures for the window and for each day of it.
const modelCallFiguresSchema = z
  .object({
    requests: z.number().int().openapi({
      description:
        'Distinct API requests that called a model (server-assigned ids); requests without a model call are not stored',
    }),
    model_calls: z.number().int().openapi({ description: 'Model calls, after their retries (usage events)' }),
    failed_model_calls: z.number().int().openapi({
      description: "Model calls whose outcome was an error (status other than 'ok' and 'cancelled')",
    }),
    model_call_error_rate: z
      .number()
      .nullable()
      .openapi({ description: 'failed_model_calls / model_calls; null without calls' }),
    model_call_latency_p50_ms: z.number().nullable().openapi({
      description: 'Median model-call latency (retries included), not HTTP latency; null without calls',
    }),
    model_call_latency_p95_ms: z.number().nullable().openapi({ description: '95th percentile of the same' }),
    tokens_in: z.number().int(),
    tokens_out: z.number().int(),
    cost_usd: z.number(),
  })
  .openapi('AdminModelCallFigures');

// API requests as answered (http_request_stats), probes and scrapes excepted.
const httpRequestFiguresSchema = z
  .object({
    requests: z
      .number()
      .int()
      .openapi({ description: 'Answered HTTP requests (not /health, /ready, /metrics)' }),
    server_errors: z.number().int().openapi({ description: 'Answers with a 5xx status' }),
    client_errors: z.number().int().openapi({ description: 'Answers with a 4xx status' }),
    error_rate: z
      .number()
      .nullable()
      .openapi({ description: 'server_errors / requests; null without requests' }),
    latency_p50_ms: z.number().nullable().openapi({
      description:
        'Median time to the response headers, estimated from latency buckets (linear within a bucket); null without requests',
    }),
    latency_p95_ms: z.number().nullable().openapi({ description: '95th percentile of the same' }),
  })
  .openapi('AdminHttpRequestFigures');

export const overviewResponseSchema = z
  .object({
    generated_at: z.string(),
    from: day.openapi({ description: 'First UTC day of the window' }),
    to: day.openapi({ description: 'Last UTC day of the window (today)' }),
    active_users: z
      .object({
        last_day: z.number().int(),
        last_7_days: z.number().int(),
        last_30_days: z.number().int(),
      })
      .openapi({
        description:
          'Users whose last authenticated request (users.last_seen_at, refreshed at most once a minute per instance) falls in the span',
      }),
    totals: modelCallFiguresSchema,
    daily: z.array(modelCallFiguresSchema.extend({ day })).openapi({
      description: 'One entry per UTC day of the window, oldest first, days without calls included',
    }),
    http: z
      .object({
        totals: httpRequestFiguresSchema,
        daily: z.array(httpRequestFiguresSchema.extend({ day })).openapi({
          description: 'One entry per UTC day of the window, oldest first, days without requests included',
        }),
      })
      .openapi({ description: 'HTTP requests of every route, with or without a model call' }),
    queue: z
      .object({ queued: z.number().int(), running: z.number().int(), dead: z.number().int() })
      .openapi({ description: 'Background jobs right now; dead ones are under /admin/jobs/dead' }),
  })
  .openapi('AdminOverview');

export const overviewQuerySchema = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(90)
    .default(14)
    .openapi({ description: 'Whole UTC days in the window, today included (1-90, default 14)' }),
});

export const getOverviewRoute = createRoute({
  method: 'get',
  path: '/admin/overview',
  operationId: 'getAdminOverview',
  tags: ['admin'],
  summary: 'Active users, requests, model-call error rate and latency, tokens and cost per day, the queue',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: overviewQuerySchema },
  responses: {
    200: jsonResponse(overviewResponseSchema, 'The overview'),
    ...authErrorResponses,
    ...problemResponses,
  },
});
