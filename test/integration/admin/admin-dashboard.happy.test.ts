import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listAdminAudit } from '../../../src/admin/admin-audit.ts';
import { jobs } from '../../../src/db/tables/jobs.ts';
import { users } from '../../../src/db/tables/users.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { storeDeadJob, storeUsage } from './admin-fixtures.ts';
import { cookieSet, getPage, loginNonce, postForm, setCookieLine, signIn } from './dashboard-client.ts';

describe.each(databaseKinds)('the admin dashboard on %s', (kind) => {
  const t = useTestApp(kind);

  it('sends /admin to the dashboard and a visitor without a session to the sign-in page', async () => {
    const root = await getPage(t, '/admin');
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/admin/dashboard');
    const page = await getPage(t, '/admin/dashboard/usage?group_by=user');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(
      `/admin/login?next=${encodeURIComponent('/admin/dashboard/usage?group_by=user')}`,
    );
  });

  it('exchanges an admin token for an HttpOnly, SameSite=Strict session and returns to `next`', async () => {
    const nonce = await loginNonce(t);
    const res = await postForm(
      t,
      '/admin/login',
      { token: await t.token('dash-happy-admin', 'admin'), nonce, next: '/admin/dashboard/jobs' },
      { cookie: `cairn_admin_login=${nonce}` },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/dashboard/jobs');
    const line = setCookieLine(res, 'cairn_admin_session')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).toMatch(/; Path=\/admin/);
    // Plain http here: no Secure flag, or the browser would drop the cookie.
    expect(line).not.toMatch(/; Secure/);
  });

  it('marks the cookie Secure over https', async () => {
    const page = await t.request('https://localhost/admin/login', { headers: { accept: 'text/html' } });
    expect(setCookieLine(page, 'cairn_admin_login')).toMatch(/; Secure/);
  });

  it('renders every page with the figures of the JSON API', async () => {
    await storeUsage(t, [{ userId: 'dash-figures', tokensIn: 1234, tokensOut: 1, costUsd: '0.5' }]);
    const { cookie } = await signIn(t, await t.token('dash-pages-admin', 'admin'));
    const overview = await (await getPage(t, '/admin/dashboard?days=7', cookie)).text();
    const api = (await (
      await t.as('dash-pages-admin', '/admin/overview?days=7', { role: 'admin' })
    ).json()) as { totals: { model_calls: number; cost_usd: number } };
    expect(overview).toContain(`data-figure="totals.model_calls" data-value="${api.totals.model_calls}"`);
    expect(overview).toContain(`data-figure="totals.cost_usd" data-value="${api.totals.cost_usd}"`);
    // HTTP request figures change with every request, this one included: present, not compared.
    expect(overview).toMatch(/data-figure="http\.totals\.requests" data-value="\d+"/);
    expect(overview.match(/<svg /g)).toHaveLength(6);
    for (const [path, heading] of [
      ['/admin/dashboard/users', 'Users'],
      ['/admin/dashboard/usage?group_by=user&user_id=dash-figures', 'Usage'],
      ['/admin/dashboard/jobs', 'Jobs'],
      ['/admin/dashboard/agents?user_id=dash-figures', 'Agent runs and tool calls'],
      ['/admin/dashboard/audit', 'Admin audit'],
    ] as const) {
      const res = await getPage(t, path, cookie);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain(`<h1>${heading}`);
    }
    const usage = await (
      await getPage(t, '/admin/dashboard/usage?group_by=user&user_id=dash-figures', cookie)
    ).text();
    expect(usage).toContain('data-key="dash-figures"');
    expect(usage).toContain('data-field="tokens_in">1,234<');
  });

  it('changes a plan through the form, with its audit row', async () => {
    await t.as('dash-plan-target', '/me');
    const { cookie, csrf } = await signIn(t, await t.token('dash-plan-admin', 'admin'));
    const res = await postForm(
      t,
      '/admin/dashboard/users/dash-plan-target/plan',
      { csrf, plan: 'pro' },
      { cookie },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/dashboard/users?done=plan');
    const [user] = await t.deps.db.select().from(users).where(eq(users.id, 'dash-plan-target'));
    expect(user?.plan).toBe('pro');
    const audit = await listAdminAudit(t.deps, { limit: 5, actorId: 'dash-plan-admin' });
    expect(audit.items.map((a) => [a.action, a.target])).toEqual([
      ['user.subscription.change', 'user:dash-plan-target'],
    ]);
    const after = await (await getPage(t, '/admin/dashboard/users?done=plan', cookie)).text();
    expect(after).toContain('Plan changed.');
  });

  it('retries a dead job through the form, with its audit row', async () => {
    const id = await storeDeadJob(t);
    const { cookie, csrf } = await signIn(t, await t.token('dash-retry-admin', 'admin'));
    const listed = await (await getPage(t, '/admin/dashboard/jobs', cookie)).text();
    expect(listed).toContain(`data-job="${id}"`);
    const res = await postForm(t, `/admin/dashboard/jobs/${id}/retry`, { csrf }, { cookie });
    expect(res.status).toBe(303);
    const [job] = await t.deps.db.select().from(jobs).where(eq(jobs.id, id));
    expect(job?.status).toBe('queued');
    const audit = await listAdminAudit(t.deps, { limit: 5, actorId: 'dash-retry-admin' });
    expect(audit.items.map((a) => [a.action, a.target])).toEqual([['job.retry', `job:${id}`]]);
  });

  it('signs out: the cookie is cleared', async () => {
    const { cookie, csrf } = await signIn(t, await t.token('dash-logout-admin', 'admin'));
    const res = await postForm(t, '/admin/logout', { csrf }, { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login');
    expect(cookieSet(res, 'cairn_admin_session')).toBe('');
  });
});
