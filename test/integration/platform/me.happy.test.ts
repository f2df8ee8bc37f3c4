import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getMeRoute } from '../../../src/auth/me.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { createTestApp, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /me on %s', (kind) => {
  const t = useTestApp(kind);

  it('returns the caller and creates the user on first sight', async () => {
    const res = await t.as('alice', '/me');
    expect(await readBody(res, getMeRoute, 200)).toEqual({ id: 'alice', role: 'user', plan: 'free' });
    const rows = await t.database.db.execute(sql`select id, role, plan from users where id = 'alice'`);
    expect(JSON.stringify(rows)).toContain('alice');
  });

  it('reports the admin role and the stored plan', async () => {
    await t.as('boss', '/me', { role: 'admin' });
    await t.database.db.execute(sql`update users set plan = 'pro' where id = 'boss'`);
    t.deps.principalCache.clear();
    const res = await t.as('boss', '/me', { role: 'admin' });
    expect(await readBody(res, getMeRoute, 200)).toEqual({ id: 'boss', role: 'admin', plan: 'pro' });
  });

  it('keeps one user row across concurrent first requests', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => t.as('carol', '/me')));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    const rows = await t.database.db.execute(sql`select count(*)::int as n from users where id = 'carol'`);
    expect(JSON.stringify(rows)).toContain('"n":1');
  });

  it('echoes a sane X-Request-Id and logs the request with the user id', async () => {
    const res = await t.as('dave', '/me', { headers: { 'X-Request-Id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const line = t.logs.find((l) => l.msg === 'request' && l.request_id === 'trace-123');
    expect(line).toMatchObject({ route: '/me', status: 200, user_id: 'dave' });
    expect(typeof line?.latency_ms).toBe('number');
  });

  it('is rate limited per user under the read policy', async () => {
    const limited = createTestApp(t.database, { env: { RATE_LIMIT_POLICIES: 'read:2/1m' } });
    expect((await limited.as('erin', '/me')).headers.get('RateLimit-Policy')).toBe('"read-1m";q=2;w=60');
    expect((await limited.as('erin', '/me')).status).toBe(200);
    expect((await limited.as('erin', '/me')).status).toBe(429);
    expect((await limited.as('frank', '/me')).status).toBe(200);
  });
});
