import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApiKeyRoute } from '../../../src/auth/api-keys.routes.ts';
import { evictUser } from '../../../src/auth/resolve-principal.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('disabled users on %s', (kind) => {
  const t = useTestApp(kind);
  const disable = async (userId: string) => {
    await t.database.db.execute(sql`update users set status = 'disabled' where id = ${userId}`);
  };

  it('403 account-disabled on every authenticated route, with a JWT, once the cache entry is evicted', async () => {
    expect((await t.as('dis-a', '/me')).status).toBe(200);
    await disable('dis-a');
    // The subscriptions admin route evicts this way after changing the status.
    t.deps.principalCache.delete('dis-a');
    for (const [path, init] of [
      ['/me', {}],
      ['/documents', {}],
      ['/usage', {}],
      ['/me/api-keys', postJson({ name: 'k' })],
    ] as const) {
      const problem = await expectProblem(await t.as('dis-a', path, init), 403);
      expect(problem.type).toBe('urn:cairn:problem:account-disabled');
    }
  });

  it('403 with an API key too, and under /v1 in the OpenAI error shape', async () => {
    const { key } = await readBody(
      await t.as('dis-b', '/me/api-keys', postJson({ name: 'k' })),
      createApiKeyRoute,
      201,
    );
    const auth = { Authorization: `Bearer ${key}` };
    expect((await t.request('/me', { headers: auth })).status).toBe(200);
    await disable('dis-b');
    evictUser(t.deps, 'dis-b');
    await expectProblem(await t.request('/me', { headers: auth }), 403);
    const v1 = await t.request('/v1/models', { headers: auth });
    expect(v1.status).toBe(403);
    expect(await v1.json()).toMatchObject({ error: { message: expect.stringMatching(/disabled/) } });
  });

  it('an admin who is disabled is refused on admin routes', async () => {
    expect((await t.as('dis-root', '/admin/audit', { role: 'admin' })).status).toBe(200);
    await disable('dis-root');
    evictUser(t.deps, 'dis-root');
    await expectProblem(await t.as('dis-root', '/admin/audit', { role: 'admin' }), 403);
  });

  it('re-enabling restores access; a JWT never re-enables by itself', async () => {
    await t.as('dis-c', '/me');
    await disable('dis-c');
    evictUser(t.deps, 'dis-c');
    await expectProblem(await t.as('dis-c', '/me'), 403);
    // The upsert on each JWT request must not reset the status.
    await expectProblem(await t.as('dis-c', '/me', { role: 'admin' }), 403);
    await t.database.db.execute(sql`update users set status = 'active' where id = 'dis-c'`);
    evictUser(t.deps, 'dis-c');
    expect((await t.as('dis-c', '/me')).status).toBe(200);
  });
});
