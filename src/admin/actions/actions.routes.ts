import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';

export const adminActionSchema = z
  .object({
    id: z.number().int(),
    created_at: z.string(),
    actor_id: z.string().openapi({ description: 'The admin who acted' }),
    action: z.string().openapi({ example: 'user.subscription.change' }),
    target: z.string().openapi({ example: 'user:alice' }),
    details: z.record(z.string(), z.unknown()).openapi({ description: 'What changed (before and after)' }),
    request_id: z.string().nullable(),
  })
  .openapi('AdminAction');

export const actionsQuerySchema = pageQuerySchema.extend({
  actor_id: safeString().min(1).max(4096).optional(),
  action: safeString().min(1).max(128).optional().openapi({ example: 'job.retry' }),
  target: safeString().min(1).max(4200).optional().openapi({ example: 'user:alice' }),
});

export const listAdminActionsRoute = createRoute({
  method: 'get',
  path: '/admin/actions',
  operationId: 'listAdminActions',
  tags: ['admin'],
  summary:
    "The admin audit log: admins' actions (plan and status changes, erasures, activations, job retries), newest first",
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: actionsQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(adminActionSchema, 'AdminActionPage'), 'A page of admin actions'),
    ...authErrorResponses,
    ...problemResponses,
  },
});
