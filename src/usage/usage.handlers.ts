import type { RouteHandler, z } from '@hono/zod-openapi';
import type { QuotaStatus } from '../billing/quotas/quota-status.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import type {
  getUsageRoute,
  quotaStatusSchema,
  usageReportResponseSchema,
  usageTotalsSchema,
} from './usage.routes.ts';
import { type UsageOverview, usageOverview } from './usage-overview.ts';
import type { UsageTotals } from './usage-report.ts';

const toTotals = (t: UsageTotals): z.input<typeof usageTotalsSchema> => ({
  requests: t.requests,
  calls: t.calls,
  tokens_in: t.tokensIn,
  tokens_out: t.tokensOut,
  cost_usd: t.costUsd,
});

const toQuotaStatus = (q: QuotaStatus): z.input<typeof quotaStatusSchema> => ({
  quota: q.quota,
  limit: q.limit,
  used: q.used,
  reserved: q.reserved,
  remaining: q.remaining,
  resets_at: q.resetsAt?.toISOString() ?? null,
});

const toUsageReportResponse = (
  userId: string,
  { report, quotas }: UsageOverview,
): z.input<typeof usageReportResponseSchema> => ({
  user_id: userId,
  from: report.from,
  to: report.to,
  totals: toTotals(report.totals),
  by_day: report.byDay.map((d) => ({ day: d.day, ...toTotals(d) })),
  by_model: report.byModel.map((m) => ({ provider: m.provider, model: m.model, ...toTotals(m) })),
  plan: quotas.plan,
  period_start: quotas.periodStart.toISOString(),
  period_end: quotas.periodEnd.toISOString(),
  quotas: quotas.quotas.map(toQuotaStatus),
});

export const getUsageHandler: RouteHandler<typeof getUsageRoute, AuthedEnv> = async (c) => {
  const { from, to } = c.req.valid('query');
  const { userId, plan } = c.get('principal');
  const overview = await usageOverview(c.get('deps'), { userId, plan, from, to });
  return c.json(toUsageReportResponse(userId, overview), 200);
};
