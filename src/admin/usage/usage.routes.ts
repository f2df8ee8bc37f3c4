import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';
import { usageGroupings } from './usage-breakdown.ts';

const day = z.iso.date().openapi({ example: '2026-11-25' });
// PostgreSQL has no year 0, so such a day would fail in SQL as a 500.
const queryDay = day.refine((d) => !d.startsWith('0000-'), 'must be on or after 0001-01-01');

export const usageGroupSchema = z
  .object({
    key: z.string().nullable().openapi({
      description:
        'The user id, `provider/model`, route or UTC day; null for calls made outside a user or route (jobs)',
    }),
    requests: z.number().int().openapi({ description: 'Distinct API requests that called a model' }),
    model_calls: z.number().int(),
    failed_model_calls: z.number().int(),
    model_call_latency_p50_ms: z.number(),
    model_call_latency_p95_ms: z.number(),
    tokens_in: z.number().int(),
    tokens_out: z.number().int(),
    cost_usd: z.number(),
  })
  .openapi('AdminUsageGroup');

const usageBreakdownSchema = z
  .object({
    group_by: z.enum(usageGroupings),
    from: day,
    to: day,
    items: z.array(usageGroupSchema),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass back as `cursor`; null on the last page.' }),
  })
  .openapi('AdminUsageBreakdown');

export const usageQuerySchema = pageQuerySchema.extend({
  group_by: z
    .enum(usageGroupings)
    .default('day')
    .openapi({ description: 'Days page newest first; users, models and routes by key' }),
  from: queryDay.optional().openapi({ description: 'First UTC day; default 29 days before `to`' }),
  to: queryDay.optional().openapi({ description: 'Last UTC day, inclusive; default today' }),
  user_id: safeString().min(1).max(4096).optional(),
  model: safeString()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: '`provider/model`, e.g. `local/cairn-local`' }),
  route: safeString().min(1).max(255).optional().openapi({ example: '/v1/chat/completions' }),
});

export const getUsageBreakdownRoute = createRoute({
  method: 'get',
  path: '/admin/usage',
  operationId: 'getUsageBreakdown',
  tags: ['admin'],
  summary: 'Model usage across users, grouped by user, model, route or day',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: usageQuerySchema },
  responses: {
    200: jsonResponse(usageBreakdownSchema, 'A page of usage groups'),
    ...authErrorResponses,
    ...problemResponses,
  },
});
