import { createRoute, z } from '@hono/zod-openapi';
import { roles } from '../../auth/principal.ts';
import { subscriptionSources, subscriptionStatuses } from '../../db/tables/billing.ts';
import { userStatuses } from '../../db/tables/users.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';

const planName = safeString().min(1).max(64).openapi({ example: 'pro' });

const adminSubscriptionSchema = z
  .object({
    plan: z.string(),
    status: z.enum(subscriptionStatuses),
    current_period_start: z.string(),
    current_period_end: z.string(),
    cancel_at_period_end: z.boolean(),
    source: z.enum(subscriptionSources).openapi({
      description: '`admin`: granted here, renewed monthly; `billing`: managed by the billing provider',
    }),
    external_customer_id: z.string().nullable(),
    external_subscription_id: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi('AdminSubscription');

export const adminUserSchema = z
  .object({
    id: z.string(),
    role: z.enum(roles),
    plan: z.string().openapi({ description: 'The plan in force' }),
    status: z.enum(userStatuses),
    created_at: z.string(),
    last_seen_at: z.string(),
    subscription: adminSubscriptionSchema.nullable(),
  })
  .openapi('AdminUser');

const userIdParam = z.object({
  id: safeString()
    .min(1)
    .max(4096)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'alice' }),
});

const listUsersQuerySchema = pageQuerySchema.extend({
  plan: planName.optional(),
  status: z.enum(userStatuses).optional(),
  role: z.enum(roles).optional(),
});

export const listUsersRoute = createRoute({
  method: 'get',
  path: '/admin/users',
  operationId: 'listUsers',
  tags: ['admin'],
  summary: 'Users, newest first: plan in force, status, role, subscription, first and last seen',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: listUsersQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(adminUserSchema, 'AdminUserPage'), 'A page of users'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const getUserRoute = createRoute({
  method: 'get',
  path: '/admin/users/{id}',
  operationId: 'getUser',
  tags: ['admin'],
  summary: 'One user',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { params: userIdParam },
  responses: { 200: jsonResponse(adminUserSchema, 'The user'), ...authErrorResponses, ...problemResponses },
});

const updateUserSchema = z
  .strictObject({ status: z.enum(userStatuses) })
  .openapi('AdminUserUpdate', { example: { status: 'disabled' } });

export const updateUserRoute = createRoute({
  method: 'patch',
  path: '/admin/users/{id}',
  operationId: 'updateUser',
  tags: ['admin'],
  summary: 'Disable or enable a user (a disabled user gets 403 on every authenticated route)',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    params: userIdParam,
    body: { content: { 'application/json': { schema: updateUserSchema } }, required: true },
  },
  responses: { 200: jsonResponse(adminUserSchema, 'The user'), ...authErrorResponses, ...problemResponses },
});

const updateSubscriptionSchema = z
  .strictObject({
    plan: planName.optional().openapi({ description: 'A plan of the plans table; required to create' }),
    status: z.enum(subscriptionStatuses).optional(),
    cancel_at_period_end: z.boolean().optional(),
    current_period_end: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Default: the current one, or a month from now for a new subscription' }),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' })
  .openapi('AdminSubscriptionUpdate', { example: { plan: 'pro', status: 'active' } });

export const updateUserSubscriptionRoute = createRoute({
  method: 'patch',
  path: '/admin/users/{id}/subscription',
  operationId: 'updateUserSubscription',
  tags: ['admin'],
  summary: "Change a user's plan or subscription status (creates an admin-granted subscription)",
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    params: userIdParam,
    body: { content: { 'application/json': { schema: updateSubscriptionSchema } }, required: true },
  },
  responses: { 200: jsonResponse(adminUserSchema, 'The user'), ...authErrorResponses, ...problemResponses },
});
