import { describe, expect, it } from 'vitest';
import { CRAFTED_LIST_CURSORS, ISSUABLE_LIST_CURSOR } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('crafted input is a 4xx, never a 500, on %s', (kind) => {
  const t = useTestApp(kind);

  it.each([
    ['/documents', 'user'],
    ['/conversations', 'user'],
    ['/admin/jobs/dead', 'admin'],
  ] as const)('GET %s refuses every crafted cursor with 400 at /query/cursor', async (path, role) => {
    for (const cursor of Object.values(CRAFTED_LIST_CURSORS)) {
      const res = await t.as('stray-cursor', `${path}?cursor=${encodeURIComponent(cursor)}`, { role });
      const problem = await expectProblem(res, 400);
      expect(problem.errors?.[0]?.pointer, cursor).toBe('/query/cursor');
    }
    expect((await t.as('stray-cursor', `${path}?cursor=${ISSUABLE_LIST_CURSOR}`, { role })).status).toBe(200);
  });

  it('GET /usage: a year PostgreSQL has no day for is a 400, not a 500', async () => {
    for (const query of ['from=0000-01-01&to=0000-12-31', 'from=0000-12-31&to=0001-01-01', 'to=0000-06-01']) {
      const problem = await expectProblem(await t.as('stray-usage', `/usage?${query}`), 400);
      expect(problem.errors?.[0]?.pointer).toMatch(/^\/query\/(from|to)$/);
    }
    await expectProblem(await t.as('stray-usage', '/usage?from=2026-02-30'), 400);
    const earliest = await t.as('stray-usage', '/usage?from=0001-01-01&to=0001-12-31');
    expect(earliest.status).toBe(200);
    const defaultFrom = await t.as('stray-usage', '/usage?to=0001-01-15');
    expect(defaultFrom.status).toBe(200);
    expect(((await defaultFrom.json()) as { from: string }).from).toBe('0001-01-01');
    const latest = await t.as('stray-usage', '/usage?from=9999-01-01&to=9999-12-31');
    expect(latest.status).toBe(200);
  });

  it('POST /admin/index/versions/{id}/activate: an id beyond int4 is a 400, not a 500', async () => {
    for (const id of ['9999999999', '2147483648', '99999999999999999999999']) {
      const problem = await expectProblem(
        await t.as('stray-admin', `/admin/index/versions/${id}/activate`, { method: 'POST', role: 'admin' }),
        400,
      );
      expect(problem.errors?.[0]?.pointer).toBe('/path/id');
    }
    await expectProblem(
      await t.as('stray-admin', '/admin/index/versions/2147483647/activate', {
        method: 'POST',
        role: 'admin',
      }),
      404,
    );
  });

  it('POST /search with a top_k or cursor of the wrong type is a 400', async () => {
    await expectProblem(await t.as('stray-search', '/search', postJson({ query: 'x', top_k: 1e300 })), 400);
    await expectProblem(await t.as('stray-search', '/search', postJson({ query: 'x', cursor: 42 })), 400);
  });
});
