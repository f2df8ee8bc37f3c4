import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { getPage, postForm, signIn } from './dashboard-client.ts';

describe.each(databaseKinds)('admin dashboard, bad input, on %s', (kind) => {
  const t = useTestApp(kind);

  it('answers invalid filters and cursors with a 400 page', async () => {
    const { cookie } = await signIn(t, await t.token('dash-err-filters', 'admin'));
    for (const path of [
      '/admin/dashboard?days=400',
      '/admin/dashboard/usage?group_by=tenant',
      '/admin/dashboard/usage?from=2026-02-30',
      '/admin/dashboard/users?status=gone',
      '/admin/dashboard/agents?run_id=nope',
      '/admin/dashboard/audit?cursor=not-a-cursor',
      '/admin/dashboard/jobs?cursor=eyJ0Ijoi',
    ]) {
      const res = await getPage(t, path, cookie);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('400 ·');
    }
  });

  it('shows why an action failed on the page, under its status', async () => {
    const { cookie, csrf } = await signIn(t, await t.token('dash-err-actions', 'admin'));
    const unknownJob = await postForm(
      t,
      '/admin/dashboard/jobs/00000000-0000-4000-8000-0000000000bb/retry',
      { csrf },
      { cookie },
    );
    expect(unknownJob.status).toBe(404);
    expect(await unknownJob.text()).toContain('No dead job');
    const badJobId = await postForm(t, '/admin/dashboard/jobs/not-a-uuid/retry', { csrf }, { cookie });
    expect(badJobId.status).toBe(400);
    await t.as('dash-err-target', '/me');
    const unknownPlan = await postForm(
      t,
      '/admin/dashboard/users/dash-err-target/plan',
      { csrf, plan: 'platinum' },
      { cookie },
    );
    expect(unknownPlan.status).toBe(422);
    expect(await unknownPlan.text()).toContain('No such plan.');
    const unknownUser = await postForm(
      t,
      '/admin/dashboard/users/dash-err-nobody/plan',
      { csrf, plan: 'pro' },
      { cookie },
    );
    expect(unknownUser.status).toBe(404);
    const selfDisable = await postForm(
      t,
      '/admin/dashboard/users/dash-err-actions/status',
      { csrf, status: 'disabled' },
      { cookie },
    );
    expect(selfDisable.status).toBe(409);
    const missingPlan = await postForm(
      t,
      '/admin/dashboard/users/dash-err-target/plan',
      { csrf },
      { cookie },
    );
    expect(missingPlan.status).toBe(400);
  });

  it('refuses a form body over the body limit with 413', async () => {
    const { cookie, csrf } = await signIn(t, await t.token('dash-err-big', 'admin'));
    const res = await postForm(
      t,
      '/admin/dashboard/users/x/plan',
      { csrf, plan: 'x'.repeat(2_000_000) },
      { cookie },
    );
    expect(res.status).toBe(413);
  });
});
