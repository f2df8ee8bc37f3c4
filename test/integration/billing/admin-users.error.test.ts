import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listUsersRoute } from '../../../src/admin/users/users.routes.ts';
import { adminAudit, subscriptions } from '../../../src/db/schema.ts';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const patch = (body: unknown): RequestInit => ({
  method: 'PATCH',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

// User ids are text: an id that is not a uuid is a valid key here (and SQL in it is only data).
const TEXT_ID_CURSORS = new Set(['an id that is not a uuid', 'an id with SQL after it']);

describe.each(databaseKinds)('admin user routes refuse bad input on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string, init: RequestInit = {}) => t.as('aue-root', path, { ...init, role: 'admin' });
  const seen = async (userId: string) => expect((await t.as(userId, '/me')).status).toBe(200);
  const noAudit = async (userId: string) =>
    expect(
      await t.deps.db
        .select()
        .from(adminAudit)
        .where(eq(adminAudit.target, `user:${userId}`)),
    ).toEqual([]);

  it('404 for a user cairn has never seen, on every route', async () => {
    await expectProblem(await admin('/admin/users/aue-nobody'), 404);
    await expectProblem(await admin('/admin/users/aue-nobody', patch({ status: 'disabled' })), 404);
    await expectProblem(await admin('/admin/users/aue-nobody/subscription', patch({ plan: 'pro' })), 404);
    await noAudit('aue-nobody');
  });

  it('422 for a plan that is not in the plans table, and nothing changes', async () => {
    await seen('aue-plan');
    const problem = await expectProblem(
      await admin('/admin/users/aue-plan/subscription', patch({ plan: 'platinum' })),
      422,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/body/plan');
    expect(await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, 'aue-plan'))).toEqual(
      [],
    );
    await noAudit('aue-plan');
  });

  it('422 when a user without a subscription is given a status but no plan', async () => {
    await seen('aue-noplan');
    const problem = await expectProblem(
      await admin('/admin/users/aue-noplan/subscription', patch({ status: 'active' })),
      422,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/body/plan');
  });

  it('422 for a period end before the period start', async () => {
    await seen('aue-period');
    const problem = await expectProblem(
      await admin(
        '/admin/users/aue-period/subscription',
        patch({ plan: 'pro', current_period_end: '2001-01-01T00:00:00Z' }),
      ),
      422,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/body/current_period_end');
  });

  it.each([
    ['an empty body', {}],
    ['an unknown status', { status: 'paused' }],
    ['an unknown field', { plan: 'pro', price: 10 }],
    ['a date that is not ISO 8601', { plan: 'pro', current_period_end: 'next month' }],
    ['a plan with a NUL', { plan: 'pro\u0000' }],
  ])('400 for a subscription change with %s', async (_, body) => {
    await seen('aue-body');
    await expectProblem(await admin('/admin/users/aue-body/subscription', patch(body)), 400);
  });

  it.each([
    ['an unknown status', { status: 'banned' }],
    ['no status', {}],
  ])('400 for a user change with %s', async (_, body) => {
    await seen('aue-user-body');
    await expectProblem(await admin('/admin/users/aue-user-body', patch(body)), 400);
  });

  it('409 when an admin tries to disable their own account', async () => {
    await expectProblem(await admin('/admin/users/aue-root', patch({ status: 'disabled' })), 409);
    expect((await admin('/admin/users/aue-root')).status).toBe(200);
  });

  it('400 for filters out of their enums', async () => {
    await expectProblem(await admin('/admin/users?status=gone'), 400);
    await expectProblem(await admin('/admin/users?role=root'), 400);
    await expectProblem(await admin('/admin/users?limit=0'), 400);
  });

  it.each(Object.entries(CRAFTED_LIST_CURSORS).filter(([name]) => !TEXT_ID_CURSORS.has(name)))(
    '400 at /query/cursor for %s',
    async (_, cursor) => {
      const problem = await expectProblem(
        await admin(`/admin/users?cursor=${encodeURIComponent(cursor)}`),
        400,
      );
      expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
    },
  );

  it.each(Object.entries(CRAFTED_LIST_CURSORS).filter(([name]) => TEXT_ID_CURSORS.has(name)))(
    'a cursor with %s is a key like any other (200)',
    async (_, cursor) => {
      await readBody(await admin(`/admin/users?cursor=${encodeURIComponent(cursor)}`), listUsersRoute, 200);
    },
  );
});
