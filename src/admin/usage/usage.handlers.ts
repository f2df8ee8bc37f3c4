import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { getUsageBreakdownRoute, usageGroupSchema, usageQuerySchema } from './usage.routes.ts';
import { type UsageGroup, usageBreakdown } from './usage-breakdown.ts';

const toUsageGroupResponse = (group: UsageGroup): z.input<typeof usageGroupSchema> => ({
  key: group.key,
  requests: group.requests,
  model_calls: group.calls,
  failed_model_calls: group.failedCalls,
  model_call_latency_p50_ms: group.latencyP50Ms,
  model_call_latency_p95_ms: group.latencyP95Ms,
  tokens_in: group.tokensIn,
  tokens_out: group.tokensOut,
  cost_usd: group.costUsd,
});

/** The breakdown service's input from the route's query (shared with the dashboard's usage page). */
export const toUsageBreakdownInput = (
  query: z.output<typeof usageQuerySchema>,
): Parameters<typeof usageBreakdown>[1] => ({
  groupBy: query.group_by,
  from: query.from,
  to: query.to,
  userId: query.user_id,
  model: query.model,
  route: query.route,
  limit: query.limit,
  cursor: query.cursor,
});

export const getUsageBreakdownHandler: RouteHandler<typeof getUsageBreakdownRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const breakdown = await usageBreakdown(c.get('deps'), toUsageBreakdownInput(query));
  return c.json(
    {
      group_by: query.group_by,
      from: breakdown.from,
      to: breakdown.to,
      items: breakdown.items.map(toUsageGroupResponse),
      next_cursor: breakdown.nextCursor,
    },
    200,
  );
};
