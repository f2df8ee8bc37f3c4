import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../../src/http/pagination.ts';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /admin/usage, bad input, on %s', (kind) => {
  const t = useTestApp(kind);
  const get = (query: string) => t.as('usage-err-admin', `/admin/usage?${query}`, { role: 'admin' });

  it.each([
    ['group_by=tenant', '/query/group_by'],
    ['from=2026-02-30', '/query/from'],
    ['from=0000-01-01', '/query/from'],
    ['from=2026-03-02&to=2026-03-01', '/query/from'],
    ['from=2024-01-01&to=2026-01-01', '/query/from'],
    ['limit=0', '/query/limit'],
    ['user_id=%00', '/query/user_id'],
  ])('refuses %s with 400 naming %s', async (query, pointer) => {
    const problem = await expectProblem(await get(query), 400);
    expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
  });

  const usageCursors = {
    ...CRAFTED_LIST_CURSORS,
    'a key with a NUL': encodeCursor({ k: 'ub-\u0000' }),
    'a key with a lone surrogate': encodeCursor({ k: 'ub-\ud800' }),
    'a number for the key': encodeCursor({ k: 42 }),
    'a key too long': encodeCursor({ k: 'x'.repeat(5000) }),
  };

  it.each(Object.entries(usageCursors))('refuses %s as the cursor with 400', async (_name, cursor) => {
    const problem = await expectProblem(await get(`group_by=user&cursor=${encodeURIComponent(cursor)}`), 400);
    expect(problem.errors?.map((e) => e.pointer)).toEqual(['/query/cursor']);
  });
});
