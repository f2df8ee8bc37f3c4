import { and, eq, getTableColumns } from 'drizzle-orm';
import type { Role } from '../../auth/principal.ts';
import { evictUser } from '../../auth/resolve-principal.ts';
import { addMonth } from '../../billing/subscriptions/period-end.ts';
import { FREE_PLAN, planExists } from '../../billing/subscriptions/plan-names.ts';
import {
  lockSubscription,
  type Subscription,
  writeSubscription,
} from '../../billing/subscriptions/subscription-store.ts';
import { type SubscriptionStatus, subscriptions, type UserStatus, users } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { conflict, notFound, validationFailed } from '../../errors.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import { recordAdminAction } from '../admin-audit.ts';

/** A user as admins see them: the stored row and their subscription, if any. */
export interface AdminUser {
  id: string;
  role: Role;
  plan: string;
  status: UserStatus;
  createdAt: Date;
  lastSeenAt: Date;
  subscription: Subscription | null;
}

/** Who acts, for the audit row. */
export interface AdminActor {
  actorId: string;
  requestId?: string | undefined;
}

const userColumns = getTableColumns(users);

const toAdminUser = (row: typeof users.$inferSelect, subscription: Subscription | null): AdminUser => ({
  id: row.id,
  role: row.role,
  plan: row.plan,
  status: row.status,
  createdAt: row.createdAt,
  lastSeenAt: row.lastSeenAt,
  subscription,
});

/** Users, newest first, optionally narrowed by plan in force, status and role. */
export async function listUsers(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & {
    plan?: string | undefined;
    status?: UserStatus | undefined;
    role?: Role | undefined;
  },
): Promise<Page<AdminUser>> {
  return keysetPage(
    input,
    { timestamp: users.createdAt, id: users.id, idType: 'text' },
    (keyset) =>
      deps.db
        .select({ ...userColumns, sortKey: keyset.sortKey, subscription: subscriptions })
        .from(users)
        .leftJoin(subscriptions, eq(subscriptions.userId, users.id))
        .where(
          and(
            input.plan === undefined ? undefined : eq(users.plan, input.plan),
            input.status === undefined ? undefined : eq(users.status, input.status),
            input.role === undefined ? undefined : eq(users.role, input.role),
            keyset.after,
          ),
        )
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, subscription, ...row }) => toAdminUser(row, subscription),
  );
}

/** One user; 404 when cairn has never seen them. */
export async function getUser(deps: Pick<Deps, 'db'>, userId: string): Promise<AdminUser> {
  const [row] = await deps.db
    .select({ ...userColumns, subscription: subscriptions })
    .from(users)
    .leftJoin(subscriptions, eq(subscriptions.userId, users.id))
    .where(eq(users.id, userId));
  if (!row) throw notFound(`No user ${userId}.`);
  const { subscription, ...user } = row;
  return toAdminUser(user, subscription);
}

/**
 * Disables or enables a user (a disabled user is refused on every authenticated route), with its
 * audit row in the same transaction. An admin cannot disable themselves: that would lock out the
 * last admin as easily as any other.
 */
export async function setUserStatus(
  deps: Deps,
  input: AdminActor & { userId: string; status: UserStatus },
): Promise<AdminUser> {
  if (input.userId === input.actorId && input.status === 'disabled')
    throw conflict('An admin cannot disable their own account.');
  await deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(users).where(eq(users.id, input.userId)).for('update');
    if (!before) throw notFound(`No user ${input.userId}.`);
    if (before.status !== input.status)
      await tx.update(users).set({ status: input.status }).where(eq(users.id, input.userId));
    await recordAdminAction(tx, {
      actorId: input.actorId,
      action: input.status === 'disabled' ? 'user.disable' : 'user.enable',
      target: `user:${input.userId}`,
      details: { before: { status: before.status }, after: { status: input.status } },
      requestId: input.requestId,
    });
  });
  evictUser(deps, input.userId);
  return getUser(deps, input.userId);
}

/** What an admin changes on a subscription; absent fields keep their value. */
export interface SubscriptionUpdate {
  plan?: string | undefined;
  status?: SubscriptionStatus | undefined;
  cancelAtPeriodEnd?: boolean | undefined;
  currentPeriodEnd?: Date | undefined;
}

const subscriptionDetails = (s: Subscription | null) =>
  s && {
    plan: s.plan,
    status: s.status,
    cancel_at_period_end: s.cancelAtPeriodEnd,
    current_period_end: s.currentPeriodEnd.toISOString(),
    source: s.source,
  };

/**
 * Changes a user's plan or subscription status. Without a subscription, or with one whose period
 * has ended, one is granted (`source: admin`, active unless said, a monthly period from now, rolled
 * forward at each period end). The plan in force, the subscription and the audit row change in one transaction. A
 * subscription the billing provider manages takes the change too, until its next event says otherwise.
 */
export async function changeUserSubscription(
  deps: Deps,
  input: AdminActor & { userId: string; update: SubscriptionUpdate },
): Promise<AdminUser> {
  const { update } = input;
  if (update.plan !== undefined && !(await planExists(deps.db, update.plan)))
    throw validationFailed(
      'No such plan.',
      [{ pointer: '/body/plan', detail: `unknown plan "${update.plan}"` }],
      422,
    );
  const now = deps.now();
  const change = await deps.db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId));
    if (!user) throw notFound(`No user ${input.userId}.`);
    const before = await lockSubscription(tx, input.userId);
    if (!before && update.plan === undefined)
      throw validationFailed(
        'The user has no subscription: name the plan to grant.',
        [{ pointer: '/body/plan', detail: 'required when the user has no subscription' }],
        422,
      );
    // A subscription whose period has ended (canceled, lapsed) restarts as an admin grant from now.
    const current = before && before.currentPeriodEnd.getTime() > now.getTime() ? before : null;
    const start = current?.currentPeriodStart ?? now;
    const end = update.currentPeriodEnd ?? current?.currentPeriodEnd ?? addMonth(now);
    if (end.getTime() <= start.getTime())
      throw validationFailed(
        'The period would end before it starts.',
        [{ pointer: '/body/current_period_end', detail: `must be after ${start.toISOString()}` }],
        422,
      );
    const written = await writeSubscription(deps, tx, {
      userId: input.userId,
      plan: update.plan ?? before?.plan ?? FREE_PLAN,
      status: update.status ?? before?.status ?? 'active',
      currentPeriodStart: start,
      currentPeriodEnd: end,
      cancelAtPeriodEnd: update.cancelAtPeriodEnd ?? before?.cancelAtPeriodEnd ?? false,
      source: current?.source ?? 'admin',
    });
    await recordAdminAction(tx, {
      actorId: input.actorId,
      action: 'user.subscription.change',
      target: `user:${input.userId}`,
      details: {
        before: { plan_in_force: written.plan.before, subscription: subscriptionDetails(written.before) },
        after: { plan_in_force: written.plan.after, subscription: subscriptionDetails(written.after) },
      },
      requestId: input.requestId,
    });
    return written;
  });
  evictUser(deps, input.userId);
  await deps.queue.publish(change.jobs);
  return getUser(deps, input.userId);
}
