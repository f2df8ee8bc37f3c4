import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';

const userId = safeString().min(1).max(4096);

export const usageRecordSchema = z
  .object({
    id: z.uuid(),
    subscription_id: z.uuid(),
    user_id: z.string(),
    plan: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    requests: z
      .number()
      .int()
      .openapi({ description: 'API requests that called a model (embeddings alone excluded)' }),
    tokens_in: z.number().int(),
    tokens_out: z.number().int(),
    cost_usd: z.number(),
    created_at: z.string(),
    delivered_at: z
      .string()
      .nullable()
      .openapi({ description: 'When BILLING_USAGE_WEBHOOK_URL accepted it' }),
    delivery_error: z.string().nullable(),
  })
  .openapi('UsageRecord');

export const listUsageRecordsRoute = createRoute({
  method: 'get',
  path: '/admin/billing/usage-records',
  operationId: 'listUsageRecords',
  tags: ['admin'],
  summary: 'Usage records (one per subscription period), newest first',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: pageQuerySchema.extend({ user_id: userId.optional() }) },
  responses: {
    200: jsonResponse(pageSchema(usageRecordSchema, 'UsageRecordPage'), 'A page of usage records'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

const produceUsageRecordsSchema = z
  .strictObject({
    user_id: userId.optional().openapi({ description: 'Only this user; all users when absent' }),
  })
  .openapi('UsageRecordsProduce', { example: { user_id: 'alice' } });

export const produceUsageRecordsRoute = createRoute({
  method: 'post',
  path: '/admin/billing/usage-records',
  operationId: 'produceUsageRecords',
  tags: ['admin'],
  summary: 'Produce now the usage records of subscription periods that have ended (and deliver them)',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    body: { content: { 'application/json': { schema: produceUsageRecordsSchema } }, required: true },
  },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(usageRecordSchema) }).openapi('UsageRecordsProduced'),
      'The records produced by this call (none when every ended period already has its record)',
    ),
    ...authErrorResponses,
    ...problemResponses,
  },
});
