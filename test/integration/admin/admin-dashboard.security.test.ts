import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listAdminAudit } from '../../../src/admin/admin-audit.ts';
import { sealSession, sessionKey } from '../../../src/admin/dashboard/session.ts';
import { createApiKeyRoute } from '../../../src/auth/api-keys.routes.ts';
import { users } from '../../../src/db/tables/users.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { cookieSet, getPage, loginNonce, postForm, signIn } from './dashboard-client.ts';

describe.each(databaseKinds)('admin dashboard sessions and CSRF on %s', (kind) => {
  const t = useTestApp(kind);

  it('refuses a non-admin token with a 403 page and no session', async () => {
    const nonce = await loginNonce(t);
    const res = await postForm(
      t,
      '/admin/login',
      { token: await t.token('dash-sec-user'), nonce },
      { cookie: `cairn_admin_login=${nonce}` },
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('requires the &quot;admin&quot; role');
    expect(cookieSet(res, 'cairn_admin_session')).toBeUndefined();
  });

  it('refuses an invalid token with a 401 page', async () => {
    const nonce = await loginNonce(t);
    const forged = `${(await t.token('dash-sec-forged', 'admin')).slice(0, -4)}AAAA`;
    const res = await postForm(
      t,
      '/admin/login',
      { token: forged, nonce },
      { cookie: `cairn_admin_login=${nonce}` },
    );
    expect(res.status).toBe(401);
    expect(cookieSet(res, 'cairn_admin_session')).toBeUndefined();
  });

  it('refuses a sign-in without the login nonce, or from another site (login CSRF)', async () => {
    const token = await t.token('dash-sec-nonce', 'admin');
    const nonce = await loginNonce(t);
    const withoutCookie = await postForm(t, '/admin/login', { token, nonce });
    expect(withoutCookie.status).toBe(403);
    const otherNonce = await postForm(
      t,
      '/admin/login',
      { token, nonce: 'x'.repeat(43) },
      { cookie: `cairn_admin_login=${nonce}` },
    );
    expect(otherNonce.status).toBe(403);
    const crossSite = await postForm(
      t,
      '/admin/login',
      { token, nonce },
      { cookie: `cairn_admin_login=${nonce}`, origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    for (const res of [withoutCookie, otherNonce, crossSite])
      expect(cookieSet(res, 'cairn_admin_session')).toBeUndefined();
  });

  it('refuses a form without the session CSRF token, with another one, or from another site', async () => {
    await t.as('dash-sec-csrf-target', '/me');
    const { cookie, csrf } = await signIn(t, await t.token('dash-sec-csrf-admin', 'admin'));
    const path = '/admin/dashboard/users/dash-sec-csrf-target/plan';
    const other = await signIn(t, await t.token('dash-sec-csrf-other', 'admin'));
    for (const res of [
      await postForm(t, path, { plan: 'pro' }, { cookie }),
      await postForm(t, path, { plan: 'pro', csrf: other.csrf }, { cookie }),
      await postForm(t, path, { plan: 'pro', csrf }, { cookie, origin: 'https://evil.example' }),
      await postForm(t, path, { plan: 'pro', csrf }, { cookie, origin: 'null' }),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('did not come from this dashboard');
    }
    const [user] = await t.deps.db.select().from(users).where(eq(users.id, 'dash-sec-csrf-target'));
    expect(user?.plan).toBe('free');
    expect((await listAdminAudit(t.deps, { limit: 5, actorId: 'dash-sec-csrf-admin' })).items).toEqual([]);
  });

  it('ignores a tampered or expired session cookie', async () => {
    const { cookie } = await signIn(t, await t.token('dash-sec-tamper', 'admin'));
    const [body, signature] = cookie.slice('cairn_admin_session='.length).split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), sub: 'someone-else' }),
    ).toString('base64url');
    const tampered = await getPage(t, '/admin/dashboard', `cairn_admin_session=${forgedBody}.${signature}`);
    expect(tampered.status).toBe(303);
    const key = await sessionKey(t.deps.config)!;
    const expired = await sealSession(key, {
      sub: 'dash-sec-tamper',
      keyId: null,
      csrf: 'c'.repeat(43),
      exp: Math.floor(Date.now() / 1000) - 1,
    });
    expect((await getPage(t, '/admin/dashboard', `cairn_admin_session=${expired}`)).status).toBe(303);
  });

  it('ends the session of an admin who lost the role', async () => {
    const { cookie } = await signIn(t, await t.token('dash-sec-demoted', 'admin'));
    // Their next token says `user`: the stored role follows it.
    await t.as('dash-sec-demoted', '/me', { role: 'user' });
    const res = await getPage(t, '/admin/dashboard', cookie);
    expect(res.status).toBe(403);
    expect(cookieSet(res, 'cairn_admin_session')).toBe('');
  });

  it('signs in with an admin-scoped API key and ends the session when the key is revoked', async () => {
    const sub = 'dash-sec-key-admin';
    const create = (scopes: string[]) =>
      t.as(sub, '/me/api-keys', { role: 'admin', ...postJson({ name: `dash ${scopes.join(' ')}`, scopes }) });
    const created = await readBody(await create(['admin']), createApiKeyRoute, 201);
    const { cookie } = await signIn(t, created.key);
    expect((await getPage(t, '/admin/dashboard/jobs', cookie)).status).toBe(200);
    // A key without the admin scope does not open the dashboard, even for an admin.
    const modelOnly = await readBody(await create(['model']), createApiKeyRoute, 201);
    const nonce = await loginNonce(t);
    const refused = await postForm(
      t,
      '/admin/login',
      { token: modelOnly.key, nonce },
      { cookie: `cairn_admin_login=${nonce}` },
    );
    expect(refused.status).toBe(403);
    expect((await t.as(sub, `/me/api-keys/${created.id}`, { role: 'admin', method: 'DELETE' })).status).toBe(
      204,
    );
    const ended = await getPage(t, '/admin/dashboard/jobs', cookie);
    expect(ended.status).toBe(401);
    expect(cookieSet(ended, 'cairn_admin_session')).toBe('');
  });

  it('answers problem+json, not a page, to clients that do not ask for HTML', async () => {
    await expectProblem(
      await t.request('/admin/dashboard', { headers: { accept: 'application/json' } }),
      401,
    );
    const { cookie } = await signIn(t, await t.token('dash-sec-json', 'admin'));
    await expectProblem(
      await t.request('/admin/dashboard/jobs?limit=0', { headers: { accept: 'application/json', cookie } }),
      400,
    );
  });

  it('escapes what users control and forbids scripts and framing', async () => {
    const sub = 'dash-sec-<script>alert(1)</script>';
    await t.as(sub, '/me');
    const { cookie } = await signIn(t, await t.token('dash-sec-xss-admin', 'admin'));
    const res = await getPage(t, '/admin/dashboard/users', cookie);
    const page = await res.text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('dash-sec-&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('only redirects to dashboard pages after sign-in', async () => {
    const nonce = await loginNonce(t);
    const res = await postForm(
      t,
      '/admin/login',
      { token: await t.token('dash-sec-next', 'admin'), nonce, next: '//evil.example/admin/dashboard' },
      { cookie: `cairn_admin_login=${nonce}` },
    );
    expect(res.headers.get('location')).toBe('/admin/dashboard');
  });
});
