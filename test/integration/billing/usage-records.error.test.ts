import { describe, expect, it } from 'vitest';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('admin usage-record routes refuse bad input on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string, init: RequestInit = {}) => t.as('ure-root', path, { ...init, role: 'admin' });

  it.each(Object.entries(CRAFTED_LIST_CURSORS))('GET: 400 at /query/cursor for %s', async (_, cursor) => {
    const problem = await expectProblem(
      await admin(`/admin/billing/usage-records?cursor=${encodeURIComponent(cursor)}`),
      400,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
  });

  it.each([
    ['an unknown field', { user: 'x' }],
    ['an empty user id', { user_id: '' }],
    ['a user id with a NUL', { user_id: 'a\u0000b' }],
    ['a list', []],
  ])('POST: 400 for %s', async (_, body) => {
    await expectProblem(await admin('/admin/billing/usage-records', postJson(body)), 400);
  });

  it('POST: 415 for a body that is not JSON', async () => {
    const res = await admin('/admin/billing/usage-records', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'user_id=x',
    });
    await expectProblem(res, 415);
  });
});
