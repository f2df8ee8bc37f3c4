import { describe, expect, it } from 'vitest';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /admin/actions, bad input, on %s', (kind) => {
  const t = useTestApp(kind);
  const get = (query: string) => t.as('actions-err-admin', `/admin/actions?${query}`, { role: 'admin' });

  it.each([
    ['limit=101', '/query/limit'],
    ['actor_id=', '/query/actor_id'],
    ['action=a%00b', '/query/action'],
    [`target=${'x'.repeat(4201)}`, '/query/target'],
  ])('refuses %s with 400 naming %s', async (query, pointer) => {
    const problem = await expectProblem(await get(query), 400);
    expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
  });

  it.each(Object.entries(CRAFTED_LIST_CURSORS))(
    'refuses %s as the cursor with 400',
    async (_name, cursor) => {
      const problem = await expectProblem(await get(`cursor=${encodeURIComponent(cursor)}`), 400);
      expect(problem.errors?.map((e) => e.pointer)).toEqual(['/query/cursor']);
    },
  );
});
