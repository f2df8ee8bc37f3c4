import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';

const planNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be 1-32 lowercase letters, digits, - or _, starting with a letter')
  .openapi({ example: 'pro' });

// Counts fit PostgreSQL's integer; tokens and bytes its bigint (within JavaScript's exact integers).
const count = (description: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .nullable()
    .openapi({ description: `${description}; null: unlimited` });
const amount = (description: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .nullable()
    .openapi({ description: `${description}; null: unlimited` });

const quotaFields = {
  model_requests_per_day: count(
    'Model requests (POST /analyze, /v1/chat/completions, /chat, /agent/runs) per UTC day',
  ),
  tokens_per_month: amount('Model and embedding tokens per monthly period'),
  cost_usd_per_month: z
    .number()
    .min(0)
    .max(1_000_000_000)
    .nullable()
    .openapi({ description: 'Model cost (USD) per monthly period; null: unlimited' }),
  agent_runs_per_day: count('Agent runs started per UTC day'),
  documents: count('Documents stored'),
  stored_bytes: amount('Bytes of document content stored'),
};

export const planSchema = z
  .object({
    name: planNameSchema,
    description: z.string(),
    ...quotaFields,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Plan');

const createPlanSchema = z
  .strictObject({
    name: planNameSchema,
    description: safeString().max(1000).default(''),
    ...quotaFields,
  })
  .openapi('PlanInput', {
    example: {
      name: 'pro',
      description: 'For teams',
      model_requests_per_day: 5000,
      tokens_per_month: 20_000_000,
      cost_usd_per_month: 200,
      agent_runs_per_day: 500,
      documents: 10_000,
      stored_bytes: 1_073_741_824,
    },
  });

const updatePlanSchema = z
  .strictObject({
    description: safeString().max(1000).optional(),
    model_requests_per_day: quotaFields.model_requests_per_day.optional(),
    tokens_per_month: quotaFields.tokens_per_month.optional(),
    cost_usd_per_month: quotaFields.cost_usd_per_month.optional(),
    agent_runs_per_day: quotaFields.agent_runs_per_day.optional(),
    documents: quotaFields.documents.optional(),
    stored_bytes: quotaFields.stored_bytes.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'names at least one field to change')
  .openapi('PlanUpdate', { example: { model_requests_per_day: 10_000, cost_usd_per_month: null } });

const nameParam = z.object({ name: planNameSchema.openapi({ param: { name: 'name', in: 'path' } }) });

export const listPlansRoute = createRoute({
  method: 'get',
  path: '/admin/plans',
  operationId: 'listPlans',
  tags: ['admin'],
  summary: 'Plans and their quotas, newest first',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: pageQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(planSchema, 'PlanPage'), 'A page of plans'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const getPlanRoute = createRoute({
  method: 'get',
  path: '/admin/plans/{name}',
  operationId: 'getPlan',
  tags: ['admin'],
  summary: 'One plan',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { params: nameParam },
  responses: { 200: jsonResponse(planSchema, 'The plan'), ...authErrorResponses, ...problemResponses },
});

export const createPlanRoute = createRoute({
  method: 'post',
  path: '/admin/plans',
  operationId: 'createPlan',
  tags: ['admin'],
  summary: 'Create a plan (409 when the name is taken); audited',
  description: 'Every quota must be given: a number, or null for unlimited. Plans cannot be deleted.',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { body: { required: true, content: { 'application/json': { schema: createPlanSchema } } } },
  responses: { 201: jsonResponse(planSchema, 'Created'), ...authErrorResponses, ...problemResponses },
});

export const updatePlanRoute = createRoute({
  method: 'patch',
  path: '/admin/plans/{name}',
  operationId: 'updatePlan',
  tags: ['admin'],
  summary: "Change a plan's description or quotas (null: unlimited); audited with before and after",
  description: 'Takes effect on the next request of every user on the plan.',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    params: nameParam,
    body: { required: true, content: { 'application/json': { schema: updatePlanSchema } } },
  },
  responses: { 200: jsonResponse(planSchema, 'Updated'), ...authErrorResponses, ...problemResponses },
});
