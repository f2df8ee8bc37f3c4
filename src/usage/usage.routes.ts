import { createRoute, z } from '@hono/zod-openapi';
import { quotaNames } from '../billing/quotas/quota-status.ts';
import { guarded } from '../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../http/openapi.ts';

const day = z.iso.date().openapi({ example: '2026-11-25' });
// PostgreSQL has no year 0 (1 BC precedes AD 1), so such a day would fail in SQL as a 500.
const queryDay = day.refine((d) => !d.startsWith('0000-'), 'must be on or after 0001-01-01');

// The totals every part of the report carries: for the whole period, a day, or a model.
const totals = {
  requests: z.number().int().openapi({
    description:
      'Distinct API requests that called a model (counted by server-assigned ids, not X-Request-Id)',
  }),
  calls: z.number().int().openapi({ description: 'Model calls (a repaired /analyze makes several)' }),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  cost_usd: z.number(),
};

const usageQuerySchema = z.object({
  from: queryDay.optional().openapi({ description: 'First day (UTC); default 29 days before `to`' }),
  to: queryDay.optional().openapi({ description: 'Last day (UTC), inclusive; default today' }),
});

export const usageTotalsSchema = z.object(totals);

export const quotaStatusSchema = z
  .object({
    quota: z.enum(quotaNames),
    limit: z.number().nullable().openapi({ description: 'null: unlimited' }),
    used: z.number().openapi({ description: 'Used in the current day or period (storage: now)' }),
    reserved: z.number().openapi({ description: 'Held by requests in progress' }),
    remaining: z
      .number()
      .nullable()
      .openapi({ description: 'limit − used − reserved, at least 0; null: unlimited' }),
    resets_at: z.string().nullable().openapi({
      description: 'When the counter starts again from zero; null for storage, freed by deleting documents',
    }),
  })
  .openapi('QuotaStatus');

export const usageReportResponseSchema = z
  .object({
    user_id: z.string(),
    from: day,
    to: day,
    totals: usageTotalsSchema,
    by_day: z.array(z.object({ day, ...totals })),
    by_model: z.array(z.object({ provider: z.string(), model: z.string(), ...totals })),
    plan: z.string().openapi({ description: 'The plan in force' }),
    period_start: z.string().openapi({
      description: 'The current monthly quota period (the subscription’s, else the calendar month, UTC)',
    }),
    period_end: z.string(),
    quotas: z.array(quotaStatusSchema),
  })
  .openapi('UsageReport');

export const getUsageRoute = createRoute({
  method: 'get',
  path: '/usage',
  operationId: 'getUsage',
  tags: ['usage'],
  summary: "The caller's model usage and cost, by UTC day and by model, and the plan's quotas",
  ...guarded({ routeClass: 'read' }),
  request: { query: usageQuerySchema },
  responses: {
    200: {
      description: 'Usage report',
      content: { 'application/json': { schema: usageReportResponseSchema } },
    },
    ...authErrorResponses,
    429: problemResponses[429],
  },
});
