import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyRoute, listApiKeysRoute } from '../../../src/auth/api-keys.routes.ts';
import { getMeRoute } from '../../../src/auth/me.routes.ts';
import { rowsOf } from '../../../src/db/rows.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

const bearer = (key: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${key}` },
});

async function createKey(t: TestApp, sub: string, body: Record<string, unknown> = {}, role?: 'admin') {
  const res = await t.as(sub, '/me/api-keys', { ...postJson({ name: 'test key', ...body }), role });
  return readBody(res, createApiKeyRoute, 201);
}

describe.each(databaseKinds)('API keys on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });

  it('creates a prefixed key shown once, stores only its hash, and lists it without the secret', async () => {
    const res = await t.as('keys-alice', '/me/api-keys', postJson({ name: 'laptop', scopes: ['model'] }));
    expect(res.headers.get('cache-control')).toBe('no-store');
    const created = await readBody(res, createApiKeyRoute, 201);
    expect(created.key).toMatch(/^cairn_sk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({ name: 'laptop', scopes: ['model'], expires_at: null, revoked_at: null });

    const stored = rowsOf<{ hash: string; prefix: string }>(
      await t.database.db.execute(sql`select hash, prefix from api_keys where id = ${created.id}`),
    );
    expect(stored[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(
      await t.database.db.execute(sql`select * from api_keys where user_id = 'keys-alice'`),
    );
    expect(dump).not.toContain(created.key);

    const page = await readBody(await t.as('keys-alice', '/me/api-keys'), listApiKeysRoute, 200);
    expect(page.items.map((k) => k.id)).toEqual([created.id]);
    expect(JSON.stringify(page)).not.toContain(created.key);
    expect(page.items[0]).not.toHaveProperty('key');
  });

  it('authenticates as its owner with the owner plan, and records the last use once a minute', async () => {
    const { key, id } = await createKey(t, 'keys-bob');
    await t.database.db.execute(sql`update users set plan = 'pro' where id = 'keys-bob'`);
    t.deps.principalCache.clear();
    const me = await readBody(await t.request('/me', bearer(key)), getMeRoute, 200);
    expect(me).toEqual({ id: 'keys-bob', role: 'user', plan: 'pro' });
    const lastUse = async () =>
      rowsOf<{ at: string | null }>(
        await t.database.db.execute(sql`select last_used_at::text as at from api_keys where id = ${id}`),
      )[0]?.at;
    const first = await lastUse();
    expect(first).not.toBeNull();
    await t.database.db.execute(sql`update api_keys set last_used_at = null where id = ${id}`);
    expect((await t.request('/me', bearer(key))).status).toBe(200);
    // Within the minute no second write happens.
    expect(await lastUse()).toBeNull();
  });

  it('pages the list newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createKey(t, 'keys-pager', { name: `k${i}` })).id);
    const first = await readBody(await t.as('keys-pager', '/me/api-keys?limit=2'), listApiKeysRoute, 200);
    expect(first.items.map((k) => k.id)).toEqual([ids[2], ids[1]]);
    const second = await readBody(
      await t.as('keys-pager', `/me/api-keys?limit=2&cursor=${first.next_cursor}`),
      listApiKeysRoute,
      200,
    );
    expect(second.items.map((k) => k.id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
  });

  it('revokes: 401 at once on this instance, listed with revoked_at, and revoking again is 204', async () => {
    const { key, id } = await createKey(t, 'keys-carol');
    expect((await t.request('/me', bearer(key))).status).toBe(200);
    expect((await t.as('keys-carol', `/me/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.request('/me', bearer(key))).status).toBe(401);
    expect((await t.as('keys-carol', `/me/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const page = await readBody(await t.as('keys-carol', '/me/api-keys'), listApiKeysRoute, 200);
    expect(page.items[0]?.revoked_at).not.toBeNull();
  });

  it('an admin key with the admin scope reaches admin routes', async () => {
    const { key } = await createKey(t, 'keys-root', { scopes: ['admin'] }, 'admin');
    expect((await t.request('/admin/audit', bearer(key))).status).toBe(200);
    expect(await readBody(await t.request('/me', bearer(key)), getMeRoute, 200)).toMatchObject({
      role: 'admin',
    });
  });

  it('runs a model call under the key and bills the owner', async () => {
    const { key } = await createKey(t, 'keys-dave', { scopes: ['model'] });
    const res = await t.request(
      '/v1/chat/completions',
      bearer(key, postJson({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })),
    );
    expect(res.status).toBe(200);
    await t.deps.usage.flush();
    const rows = rowsOf<{ n: number }>(
      await t.database.db.execute(
        sql`select count(*)::int as n from usage_events where user_id = 'keys-dave'`,
      ),
    );
    expect(rows[0]?.n).toBe(1);
  });

  describe('through the openai SDK', () => {
    let server: Awaited<ReturnType<typeof serveApp>>;
    beforeAll(async () => {
      server = await serveApp(t);
    });
    afterAll(() => server.close());

    it('an API key works as the SDK apiKey, and stops working once revoked', async () => {
      const { key, id } = await createKey(t, 'keys-sdk', { scopes: ['model'] });
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      expect(completion.choices[0]?.message.content).toBeTruthy();
      const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
      expect(embedding.data[0]?.embedding).toHaveLength(64);
      await t.as('keys-sdk', `/me/api-keys/${id}`, { method: 'DELETE' });
      const error = await client.models.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    });
  });
});
