import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../http/app-env.ts';
import type { getUsageRoute, usageReportResponseSchema, usageTotalsSchema } from './usage.routes.ts';
import { type UsageReport, type UsageTotals, usageReport } from './usage-report.ts';

const toTotals = (t: UsageTotals): z.input<typeof usageTotalsSchema> => ({
  requests: t.requests,
  calls: t.calls,
  tokens_in: t.tokensIn,
  tokens_out: t.tokensOut,
  cost_usd: t.costUsd,
});

const toUsageReportResponse = (
  userId: string,
  report: UsageReport,
): z.input<typeof usageReportResponseSchema> => ({
  user_id: userId,
  from: report.from,
  to: report.to,
  totals: toTotals(report.totals),
  by_day: report.byDay.map((d) => ({ day: d.day, ...toTotals(d) })),
  by_model: report.byModel.map((m) => ({ provider: m.provider, model: m.model, ...toTotals(m) })),
});

export const getUsageHandler: RouteHandler<typeof getUsageRoute, AuthedEnv> = async (c) => {
  const { from, to } = c.req.valid('query');
  const userId = c.get('principal').userId;
  const report = await usageReport(c.get('deps'), { userId, from, to });
  return c.json(toUsageReportResponse(userId, report), 200);
};
