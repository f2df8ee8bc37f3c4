import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getUserRoute } from '../../../src/admin/users/users.routes.ts';
import { subscriptions, users } from '../../../src/db/schema.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const patch = (body: unknown): RequestInit => ({
  method: 'PATCH',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe.each(databaseKinds)('admin user and usage-record routes are for admins only on %s', (kind) => {
  const t = useTestApp(kind);

  it.each([
    ['GET', '/admin/users', undefined],
    ['GET', '/admin/users/aus-target', undefined],
    ['PATCH', '/admin/users/aus-target', { status: 'disabled' }],
    ['PATCH', '/admin/users/aus-target/subscription', { plan: 'team' }],
    ['GET', '/admin/billing/usage-records', undefined],
    ['POST', '/admin/billing/usage-records', {}],
  ])('%s %s: 401 without a token, 403 for a user, and nothing changes', async (method, path, body) => {
    expect((await t.as('aus-target', '/me')).status).toBe(200);
    const init: RequestInit = body
      ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : { method };
    await expectProblem(await t.request(path, init), 401);
    await expectProblem(await t.as('aus-user', path, init), 403);
    // A user cannot grant themselves a plan or lift their own suspension either.
    await expectProblem(await t.as('aus-target', path, init), 403);
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, 'aus-target'));
    expect(row).toMatchObject({ plan: 'free', status: 'active' });
    expect(
      await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, 'aus-target')),
    ).toEqual([]);
  });

  it('a disabled admin is refused on admin routes too', async () => {
    expect((await t.as('aus-admin-2', '/me', { role: 'admin' })).status).toBe(200);
    const res = await t.as('aus-admin-1', '/admin/users/aus-admin-2', {
      ...patch({ status: 'disabled' }),
      role: 'admin',
    });
    expect(res.status).toBe(200);
    await expectProblem(await t.as('aus-admin-2', '/admin/users', { role: 'admin' }), 403);
  });

  it('a user id with SQL or path characters is only data', async () => {
    const id = "aus-x' or '1'='1";
    expect((await t.as(id, '/me')).status).toBe(200);
    const user = await readBody(
      await t.as('aus-root', `/admin/users/${encodeURIComponent(id)}`, { role: 'admin' }),
      getUserRoute,
      200,
    );
    expect(user.id).toBe(id);
    await expectProblem(
      await t.as('aus-root', `/admin/users/${encodeURIComponent("aus-x' or '1'='2")}`, { role: 'admin' }),
      404,
    );
  });
});
