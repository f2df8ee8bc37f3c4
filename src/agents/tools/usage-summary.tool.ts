import { z } from 'zod';
import { usageReport } from '../../usage/usage-report.ts';
import { defineTool } from './tool.ts';

const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** The caller's model usage and cost over the last days, as GET /usage reports it. */
export const usageSummaryTool = defineTool({
  name: 'usage_summary',
  description:
    "The user's model usage over the last `days` UTC days (today included): requests, model calls, tokens and cost in USD, in total and per model.",
  input: z.object({
    days: z
      .number()
      .int()
      .min(1)
      .max(366)
      .optional()
      .describe(`How many days back, today included (default ${DEFAULT_DAYS})`),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    days: z.number().int(),
    requests: z.number().int(),
    calls: z.number().int(),
    tokens_in: z.number().int(),
    tokens_out: z.number().int(),
    cost_usd: z.number(),
    by_model: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        calls: z.number().int(),
        tokens_in: z.number().int(),
        tokens_out: z.number().int(),
        cost_usd: z.number(),
      }),
    ),
  }),
  timeoutMs: 5000,
  sideEffects: false,
  role: 'user',
  async execute(input, context) {
    const days = input.days ?? DEFAULT_DAYS;
    // Usage is stored off the request path: store what was recorded so far (this run's calls too).
    await context.deps.usage.flush();
    const today = context.deps.now();
    const report = await usageReport(context.deps, {
      userId: context.userId,
      from: isoDay(new Date(today.getTime() - (days - 1) * DAY_MS)),
      to: isoDay(today),
    });
    return {
      from: report.from,
      to: report.to,
      days,
      requests: report.totals.requests,
      calls: report.totals.calls,
      tokens_in: report.totals.tokensIn,
      tokens_out: report.totals.tokensOut,
      cost_usd: report.totals.costUsd,
      by_model: report.byModel.map((m) => ({
        provider: m.provider,
        model: m.model,
        calls: m.calls,
        tokens_in: m.tokensIn,
        tokens_out: m.tokensOut,
        cost_usd: m.costUsd,
      })),
    };
  },
});
