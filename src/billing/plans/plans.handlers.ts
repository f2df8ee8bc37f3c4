import type { RouteHandler, z } from '@hono/zod-openapi';
import { notFound } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { createPlan, getPlan, listPlans, type Plan, updatePlan } from './plan-store.ts';
import type {
  createPlanRoute,
  getPlanRoute,
  listPlansRoute,
  planSchema,
  updatePlanRoute,
} from './plans.routes.ts';

const toPlanResponse = (plan: Plan): z.input<typeof planSchema> => ({
  name: plan.name,
  description: plan.description,
  model_requests_per_day: plan.modelRequestsPerDay,
  tokens_per_month: plan.tokensPerMonth,
  cost_usd_per_month: plan.costUsdPerMonth,
  agent_runs_per_day: plan.agentRunsPerDay,
  documents: plan.documents,
  stored_bytes: plan.storedBytes,
  created_at: plan.createdAt.toISOString(),
  updated_at: plan.updatedAt.toISOString(),
});

export const listPlansHandler: RouteHandler<typeof listPlansRoute, AuthedEnv> = async (c) => {
  const page = await listPlans(c.get('deps'), c.req.valid('query'));
  return c.json(toPageResponse(page, toPlanResponse), 200);
};

export const getPlanHandler: RouteHandler<typeof getPlanRoute, AuthedEnv> = async (c) => {
  const { name } = c.req.valid('param');
  const plan = await getPlan(c.get('deps'), name);
  if (!plan) throw notFound(`No plan ${name}.`);
  return c.json(toPlanResponse(plan), 200);
};

export const createPlanHandler: RouteHandler<typeof createPlanRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const plan = await createPlan(c.get('deps'), {
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
    name: body.name,
    description: body.description,
    quotas: {
      modelRequestsPerDay: body.model_requests_per_day,
      tokensPerMonth: body.tokens_per_month,
      costUsdPerMonth: body.cost_usd_per_month,
      agentRunsPerDay: body.agent_runs_per_day,
      documents: body.documents,
      storedBytes: body.stored_bytes,
    },
  });
  return c.json(toPlanResponse(plan), 201);
};

export const updatePlanHandler: RouteHandler<typeof updatePlanRoute, AuthedEnv> = async (c) => {
  const { name } = c.req.valid('param');
  const body = c.req.valid('json');
  const plan = await updatePlan(c.get('deps'), {
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
    name,
    description: body.description,
    quotas: {
      modelRequestsPerDay: body.model_requests_per_day,
      tokensPerMonth: body.tokens_per_month,
      costUsdPerMonth: body.cost_usd_per_month,
      agentRunsPerDay: body.agent_runs_per_day,
      documents: body.documents,
      storedBytes: body.stored_bytes,
    },
  });
  return c.json(toPlanResponse(plan), 200);
};
