import { describe, expect, it } from 'vitest';
import { createApiKeyRoute } from '../../../src/auth/api-keys.routes.ts';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { createTestApp, expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('API key errors on %s', (kind) => {
  const t = useTestApp(kind);
  const create = (sub: string, body: unknown) => t.as(sub, '/me/api-keys', postJson(body));

  it('400 for a missing or blank name, unknown scopes, an empty scope list and unknown fields', async () => {
    for (const body of [
      {},
      { name: '   ' },
      { name: 'x'.repeat(101) },
      { name: 'k', scopes: ['root'] },
      { name: 'k', scopes: [] },
      { name: 'k', extra: 1 },
      { name: 'k\u0000' },
    ]) {
      await expectProblem(await create('keys-err-a', body), 400);
    }
  });

  it('400 for an expiry that is not a date-time, and for one in the past (pointing at it)', async () => {
    await expectProblem(await create('keys-err-b', { name: 'k', expires_at: 'tomorrow' }), 400);
    const past = await expectProblem(
      await create('keys-err-b', { name: 'k', expires_at: '2020-01-01T00:00:00Z' }),
      400,
    );
    expect(past.errors?.[0]?.pointer).toBe('/body/expires_at');
  });

  it('400 for a malformed JSON body', async () => {
    const res = await t.as('keys-err-c', '/me/api-keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    });
    await expectProblem(res, 400);
  });

  it('404 revoking an unknown key, 400 for an id that is not a uuid', async () => {
    await expectProblem(
      await t.as('keys-err-d', '/me/api-keys/7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11', { method: 'DELETE' }),
      404,
    );
    await expectProblem(await t.as('keys-err-d', '/me/api-keys/nope', { method: 'DELETE' }), 400);
  });

  it('400 for every crafted list cursor', async () => {
    for (const [name, cursor] of Object.entries(CRAFTED_LIST_CURSORS)) {
      const problem = await expectProblem(await t.as('keys-err-e', `/me/api-keys?cursor=${cursor}`), 400);
      expect(problem.errors?.[0]?.pointer, name).toBe('/query/cursor');
    }
  });

  it('409 beyond API_KEY_MAX_PER_USER live keys, even for concurrent creations; revoking frees a place', async () => {
    const capped = createTestApp(t.database, { env: { API_KEY_MAX_PER_USER: '3' } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        capped.as('keys-err-f', '/me/api-keys', postJson({ name: `k${i}` })),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
    const first = await readBody(results.find((r) => r.status === 201)!, createApiKeyRoute, 201);
    await capped.as('keys-err-f', `/me/api-keys/${first.id}`, { method: 'DELETE' });
    expect((await capped.as('keys-err-f', '/me/api-keys', postJson({ name: 'again' }))).status).toBe(201);
  });
});
