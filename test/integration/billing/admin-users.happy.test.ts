import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  getUserRoute,
  listUsersRoute,
  updateUserRoute,
  updateUserSubscriptionRoute,
} from '../../../src/admin/users/users.routes.ts';
import { adminAudit, subscriptions, usageRecords } from '../../../src/db/schema.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

const patch = (body: unknown): RequestInit => ({
  method: 'PATCH',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const auditOf = (t: TestApp, userId: string) =>
  t.deps.db
    .select()
    .from(adminAudit)
    .where(eq(adminAudit.target, `user:${userId}`))
    .orderBy(adminAudit.id);

describe.each(databaseKinds)('admin user routes on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string, init: RequestInit = {}) => t.as('au-root', path, { ...init, role: 'admin' });
  const seen = async (userId: string) => expect((await t.as(userId, '/me')).status).toBe(200);

  it('GET /admin/users/{id} shows plan, status, role, first and last seen', async () => {
    await seen('au-get');
    const user = await readBody(await admin('/admin/users/au-get'), getUserRoute, 200);
    expect(user).toMatchObject({
      id: 'au-get',
      role: 'user',
      plan: 'free',
      status: 'active',
      subscription: null,
    });
    expect(Date.parse(user.last_seen_at)).toBeGreaterThanOrEqual(Date.parse(user.created_at));
  });

  it('PATCH subscription grants a plan: an admin subscription, the plan in force, an audit row, at once', async () => {
    await seen('au-grant');
    const user = await readBody(
      await admin('/admin/users/au-grant/subscription', patch({ plan: 'pro' })),
      updateUserSubscriptionRoute,
      200,
    );
    expect(user).toMatchObject({
      plan: 'pro',
      subscription: { plan: 'pro', status: 'active', source: 'admin', cancel_at_period_end: false },
    });
    const end = Date.parse(user.subscription!.current_period_end);
    expect(end - Date.parse(user.subscription!.current_period_start)).toBeGreaterThanOrEqual(28 * 86_400_000);
    // The user's next request carries the new plan (the principal cache forgot them).
    expect(((await (await t.as('au-grant', '/me')).json()) as { plan: string }).plan).toBe('pro');
    const [row] = await auditOf(t, 'au-grant');
    expect(row).toMatchObject({ actorId: 'au-root', action: 'user.subscription.change' });
    expect(row!.details).toMatchObject({
      before: { plan_in_force: 'free', subscription: null },
      after: { plan_in_force: 'pro', subscription: { plan: 'pro', status: 'active', source: 'admin' } },
    });
    expect(row!.requestId).toBeTruthy();
  });

  it('PATCH subscription changes status: canceled with its period ended puts free in force', async () => {
    await seen('au-status');
    await admin('/admin/users/au-status/subscription', patch({ plan: 'team' }));
    const past_due = await readBody(
      await admin(
        '/admin/users/au-status/subscription',
        patch({ status: 'past_due', cancel_at_period_end: true }),
      ),
      updateUserSubscriptionRoute,
      200,
    );
    // Unpaid, but within the period: the plan stays until it ends.
    expect(past_due).toMatchObject({
      plan: 'team',
      subscription: { status: 'past_due', cancel_at_period_end: true },
    });
    const soon = new Date(Date.now() + 1000).toISOString();
    const canceled = await readBody(
      await admin(
        '/admin/users/au-status/subscription',
        patch({ status: 'canceled', current_period_end: soon }),
      ),
      updateUserSubscriptionRoute,
      200,
    );
    expect(canceled).toMatchObject({ plan: 'team', subscription: { status: 'canceled', plan: 'team' } });
    expect(await auditOf(t, 'au-status')).toHaveLength(3);
  });

  it('PATCH subscription on a subscription whose period ended grants a fresh admin period', async () => {
    await seen('au-expired');
    await admin('/admin/users/au-expired/subscription', patch({ plan: 'pro', status: 'canceled' }));
    const ended = new Date(Date.now() - 86_400_000);
    await t.deps.db
      .update(subscriptions)
      .set({ currentPeriodStart: new Date(ended.getTime() - 30 * 86_400_000), currentPeriodEnd: ended })
      .where(eq(subscriptions.userId, 'au-expired'));
    const user = await readBody(
      await admin('/admin/users/au-expired/subscription', patch({ status: 'active' })),
      updateUserSubscriptionRoute,
      200,
    );
    expect(user).toMatchObject({ plan: 'pro', subscription: { status: 'active', source: 'admin' } });
    expect(Date.parse(user.subscription!.current_period_start)).toBeGreaterThan(ended.getTime());
    expect(Date.parse(user.subscription!.current_period_end)).toBeGreaterThan(Date.now());
    // The period that ended got its usage record in the same change.
    const records = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.userId, 'au-expired'));
    expect(records.map((r) => r.periodEnd.getTime())).toEqual([ended.getTime()]);
  });

  it('PATCH /admin/users/{id} disables and enables, each audited', async () => {
    await seen('au-disable');
    const disabled = await readBody(
      await admin('/admin/users/au-disable', patch({ status: 'disabled' })),
      updateUserRoute,
      200,
    );
    expect(disabled.status).toBe('disabled');
    expect((await t.as('au-disable', '/me')).status).toBe(403);
    const enabled = await readBody(
      await admin('/admin/users/au-disable', patch({ status: 'active' })),
      updateUserRoute,
      200,
    );
    expect(enabled.status).toBe('active');
    expect((await t.as('au-disable', '/me')).status).toBe(200);
    expect((await auditOf(t, 'au-disable')).map((r) => r.action)).toEqual(['user.disable', 'user.enable']);
  });

  it('GET /admin/users pages newest first and filters by plan, status and role', async () => {
    for (const id of ['au-list-1', 'au-list-2', 'au-list-3']) await seen(id);
    await admin('/admin/users/au-list-2/subscription', patch({ plan: 'team' }));
    await admin('/admin/users/au-list-3', patch({ status: 'disabled' }));

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await readBody(await admin(`/admin/users${query}`), listUsersRoute, 200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      ids.push(...page.items.map((u) => u.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    const mine = ids.filter((id) => id.startsWith('au-list-'));
    expect(mine).toEqual(['au-list-3', 'au-list-2', 'au-list-1']);

    const team = await readBody(await admin('/admin/users?plan=team'), listUsersRoute, 200);
    expect(team.items.map((u) => u.id)).toContain('au-list-2');
    expect(team.items.every((u) => u.plan === 'team')).toBe(true);
    expect(team.items.find((u) => u.id === 'au-list-2')?.subscription?.plan).toBe('team');
    const disabled = await readBody(await admin('/admin/users?status=disabled'), listUsersRoute, 200);
    expect(disabled.items.map((u) => u.id)).toContain('au-list-3');
    expect(disabled.items.every((u) => u.status === 'disabled')).toBe(true);
    const admins = await readBody(await admin('/admin/users?role=admin'), listUsersRoute, 200);
    expect(admins.items.map((u) => u.id)).toContain('au-root');
    expect(admins.items.every((u) => u.role === 'admin')).toBe(true);
  });
});
