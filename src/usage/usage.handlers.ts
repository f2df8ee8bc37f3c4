import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../http/app-env.ts';
import type { usage } from './usage.routes.ts';
import { type UsageTotals, usageReport } from './usage-report.ts';

const wire = (t: UsageTotals) => ({
  requests: t.requests,
  calls: t.calls,
  tokens_in: t.tokensIn,
  tokens_out: t.tokensOut,
  cost_usd: t.costUsd,
});

export const usageHandler: RouteHandler<typeof usage, AuthedEnv> = async (c) => {
  const { from, to } = c.req.valid('query');
  const userId = c.get('principal').userId;
  const report = await usageReport(c.get('deps'), { userId, from, to });
  return c.json(
    {
      user_id: userId,
      from: report.from,
      to: report.to,
      totals: wire(report.totals),
      by_day: report.byDay.map((d) => ({ day: d.day, ...wire(d) })),
      by_model: report.byModel.map((m) => ({ provider: m.provider, model: m.model, ...wire(m) })),
    },
    200,
  );
};
