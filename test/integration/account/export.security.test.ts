import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { seedAccount } from './seed-account.ts';

describe.each(databaseKinds)('GET /me/export security on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });

  it('401 without a token or with a bad one', async () => {
    await expectProblem(await t.request('/me/export'), 401);
    await expectProblem(await t.request('/me/export', { headers: { Authorization: 'Bearer nope' } }), 401);
  });

  it('403 for an API key, whatever its scopes (a leaked key must not dump the account)', async () => {
    const { key } = await seedAccount(t, 'export-sec-keyed');
    await expectProblem(
      await t.request('/me/export', { headers: { Authorization: `Bearer ${key.key}` } }),
      403,
    );
  });

  it('403 for a disabled account', async () => {
    await t.as('export-sec-disabled', '/me');
    await t.database.db.execute(sql`update users set status = 'disabled' where id = 'export-sec-disabled'`);
    t.deps.principalCache.delete('export-sec-disabled');
    await expectProblem(await t.as('export-sec-disabled', '/me/export'), 403);
  });

  it('is not cached by intermediaries', async () => {
    const res = await t.as('export-sec-cache', '/me/export');
    expect(res.headers.get('cache-control')).toBe('no-store');
    await res.body?.cancel();
  });
});
