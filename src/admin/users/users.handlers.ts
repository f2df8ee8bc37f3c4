import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { type AdminUser, changeUserSubscription, getUser, listUsers, setUserStatus } from './user-admin.ts';
import type {
  adminUserSchema,
  getUserRoute,
  listUsersRoute,
  updateUserRoute,
  updateUserSubscriptionRoute,
} from './users.routes.ts';

const toAdminUserResponse = (user: AdminUser): z.input<typeof adminUserSchema> => ({
  id: user.id,
  role: user.role,
  plan: user.plan,
  status: user.status,
  created_at: user.createdAt.toISOString(),
  last_seen_at: user.lastSeenAt.toISOString(),
  subscription: user.subscription && {
    plan: user.subscription.plan,
    status: user.subscription.status,
    current_period_start: user.subscription.currentPeriodStart.toISOString(),
    current_period_end: user.subscription.currentPeriodEnd.toISOString(),
    cancel_at_period_end: user.subscription.cancelAtPeriodEnd,
    source: user.subscription.source,
    external_customer_id: user.subscription.externalCustomerId,
    external_subscription_id: user.subscription.externalSubscriptionId,
    updated_at: user.subscription.updatedAt.toISOString(),
  },
});

export const listUsersHandler: RouteHandler<typeof listUsersRoute, AuthedEnv> = async (c) => {
  const page = await listUsers(c.get('deps'), c.req.valid('query'));
  return c.json(toPageResponse(page, toAdminUserResponse), 200);
};

export const getUserHandler: RouteHandler<typeof getUserRoute, AuthedEnv> = async (c) =>
  c.json(toAdminUserResponse(await getUser(c.get('deps'), c.req.valid('param').id)), 200);

export const updateUserHandler: RouteHandler<typeof updateUserRoute, AuthedEnv> = async (c) => {
  const user = await setUserStatus(c.get('deps'), {
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
    userId: c.req.valid('param').id,
    status: c.req.valid('json').status,
  });
  return c.json(toAdminUserResponse(user), 200);
};

export const updateUserSubscriptionHandler: RouteHandler<
  typeof updateUserSubscriptionRoute,
  AuthedEnv
> = async (c) => {
  const body = c.req.valid('json');
  const user = await changeUserSubscription(c.get('deps'), {
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
    userId: c.req.valid('param').id,
    update: {
      plan: body.plan,
      status: body.status,
      cancelAtPeriodEnd: body.cancel_at_period_end,
      currentPeriodEnd: body.current_period_end === undefined ? undefined : new Date(body.current_period_end),
    },
  });
  return c.json(toAdminUserResponse(user), 200);
};
