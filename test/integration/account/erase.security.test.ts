import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { expectSeeded, rowsNaming, seedAccount } from './seed-account.ts';

describe.each(databaseKinds)('erasure security on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });

  it('401 without a token on both routes', async () => {
    await expectProblem(await t.request('/me', { method: 'DELETE' }), 401);
    await expectProblem(await t.request('/admin/users/someone/data', { method: 'DELETE' }), 401);
  });

  it('403 for a non-admin erasing another user, whose data stays', async () => {
    await seedAccount(t, 'erase-sec-victim');
    await expectProblem(
      await t.as('erase-sec-mallory', '/admin/users/erase-sec-victim/data', { method: 'DELETE' }),
      403,
    );
    expectSeeded(await rowsNaming(t, 'erase-sec-victim'));
  });

  it('an API key cannot erase its owner, even with every non-admin scope', async () => {
    const { key } = await seedAccount(t, 'erase-sec-keyed');
    const problem = await expectProblem(
      await t.request('/me', { method: 'DELETE', headers: { Authorization: `Bearer ${key.key}` } }),
      403,
    );
    expect(problem.detail).toMatch(/JWT/);
    expectSeeded(await rowsNaming(t, 'erase-sec-keyed'));
  });

  it('DELETE /me erases only the caller: a user id with LIKE or SQL characters matches nothing else', async () => {
    await seedAccount(t, 'erase-sec-percent-victim');
    const res = await t.as("erase-sec-%' or '1'='1", '/me', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expectSeeded(await rowsNaming(t, 'erase-sec-percent-victim'));
    const admin = await t.as('erase-sec-root', `/admin/users/${encodeURIComponent('erase-sec-%')}/data`, {
      method: 'DELETE',
      role: 'admin',
    });
    expect(admin.status).toBe(200);
    expectSeeded(await rowsNaming(t, 'erase-sec-percent-victim'));
  });
});
