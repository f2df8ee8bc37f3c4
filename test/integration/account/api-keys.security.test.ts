import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApiKeyRoute, listApiKeysRoute } from '../../../src/auth/api-keys.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { createTestApp, expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

const bearer = (key: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${key}` },
});

async function createKey(t: TestApp, sub: string, body: Record<string, unknown> = {}, role?: 'admin') {
  const res = await t.as(sub, '/me/api-keys', { ...postJson({ name: 'k', ...body }), role });
  return readBody(res, createApiKeyRoute, 201);
}

describe.each(databaseKinds)('API key security on %s', (kind) => {
  const t = useTestApp(kind);

  it('401 without credentials on every key route', async () => {
    await expectProblem(await t.request('/me/api-keys'), 401);
    await expectProblem(await t.request('/me/api-keys', postJson({ name: 'k' })), 401);
    await expectProblem(
      await t.request('/me/api-keys/7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11', { method: 'DELETE' }),
      401,
    );
  });

  it('401 for unknown, malformed and tampered keys, never echoing them', async () => {
    const { key } = await createKey(t, 'keys-sec-a');
    const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const candidate of [tampered, 'cairn_sk_short', `${key}x`, `cairn_sk_${'A'.repeat(43)}`]) {
      const res = await t.request('/me', bearer(candidate));
      const text = await res.clone().text();
      await expectProblem(res, 401);
      expect(text).not.toContain(candidate);
    }
    expect(JSON.stringify(t.logs)).not.toContain(key);
  });

  it('401 once expired', async () => {
    const { key, id } = await createKey(t, 'keys-sec-b', {
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    expect((await t.request('/me', bearer(key))).status).toBe(200);
    await t.database.db.execute(
      sql`update api_keys set expires_at = now() - interval '1 second' where id = ${id}`,
    );
    t.deps.apiKeyCache.deleteUser('keys-sec-b');
    const problem = await expectProblem(await t.request('/me', bearer(key)), 401);
    expect(problem.detail).toMatch(/expired/);
  });

  it('a key reaches only its scopes: 403 outside them', async () => {
    const { key } = await createKey(t, 'keys-sec-c', { scopes: ['rag'] });
    expect((await t.request('/documents', bearer(key))).status).toBe(200);
    expect((await t.request('/me', bearer(key))).status).toBe(200);
    const model = await expectProblem(
      await t.request('/analyze', bearer(key, postJson({ text: 'x', schema: {} }))),
      403,
    );
    expect(model.detail).toMatch(/"model" scope/);
    await expectProblem(await t.request('/agent/runs', bearer(key)), 403);
    expect((await t.request('/v1/models', bearer(key))).status).toBe(403);
  });

  it('a key cannot manage keys nor export or erase the account (JWT only)', async () => {
    const { key, id } = await createKey(t, 'keys-sec-d', { scopes: ['model', 'rag', 'agents'] });
    await expectProblem(await t.request('/me/api-keys', bearer(key)), 403);
    await expectProblem(await t.request('/me/api-keys', bearer(key, postJson({ name: 'more' }))), 403);
    await expectProblem(await t.request(`/me/api-keys/${id}`, bearer(key, { method: 'DELETE' })), 403);
    await expectProblem(await t.request('/me/export', bearer(key)), 403);
    await expectProblem(await t.request('/me', bearer(key, { method: 'DELETE' })), 403);
  });

  it('the admin scope: only admins create it, and it is needed on admin routes', async () => {
    const refused = await t.as('keys-sec-e', '/me/api-keys', postJson({ name: 'k', scopes: ['admin'] }));
    await expectProblem(refused, 403);
    const { key: plain } = await createKey(t, 'keys-sec-root', {}, 'admin');
    const problem = await expectProblem(await t.request('/admin/audit', bearer(plain)), 403);
    expect(problem.detail).toMatch(/"admin" scope/);
    // Without the admin scope an admin's key acts as a user everywhere.
    expect(await (await t.request('/me', bearer(plain))).json()).toMatchObject({ role: 'user' });
  });

  it('an admin key stops being admin when its owner is demoted', async () => {
    const { key } = await createKey(t, 'keys-sec-demoted', { scopes: ['admin'] }, 'admin');
    expect((await t.request('/admin/audit', bearer(key))).status).toBe(200);
    // The owner's next JWT says user: the stored role follows it.
    await t.as('keys-sec-demoted', '/me');
    await expectProblem(await t.request('/admin/audit', bearer(key)), 403);
  });

  it("one user cannot list or revoke another's keys", async () => {
    const { key, id } = await createKey(t, 'keys-sec-f');
    await expectProblem(await t.as('keys-sec-mallory', `/me/api-keys/${id}`, { method: 'DELETE' }), 404);
    const page = await readBody(await t.as('keys-sec-mallory', '/me/api-keys'), listApiKeysRoute, 200);
    expect(page.items).toEqual([]);
    expect((await t.request('/me', bearer(key))).status).toBe(200);
  });

  it('a key revoked on another instance stops within API_KEY_CACHE_TTL_S, not before on this one', async () => {
    const { key, id } = await createKey(t, 'keys-sec-g');
    const other = createTestApp(t.database, { env: { API_KEY_CACHE_TTL_S: '1' } });
    expect((await other.request('/me', bearer(key))).status).toBe(200);
    await t.as('keys-sec-g', `/me/api-keys/${id}`, { method: 'DELETE' });
    // `other` still trusts its cached lookup...
    expect((await other.request('/me', bearer(key))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // ...until its TTL runs out.
    expect((await other.request('/me', bearer(key))).status).toBe(401);
  });

  it('with API_KEY_CACHE_TTL_S=0 every request looks the key up', async () => {
    const { key, id } = await createKey(t, 'keys-sec-h');
    const uncached = createTestApp(t.database, { env: { API_KEY_CACHE_TTL_S: '0' } });
    expect((await uncached.request('/me', bearer(key))).status).toBe(200);
    await t.as('keys-sec-h', `/me/api-keys/${id}`, { method: 'DELETE' });
    expect((await uncached.request('/me', bearer(key))).status).toBe(401);
  });
});
