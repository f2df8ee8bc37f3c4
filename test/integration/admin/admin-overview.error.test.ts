import { describe, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /admin/overview, bad input, on %s', (kind) => {
  const t = useTestApp(kind);

  it.each(['days=0', 'days=91', 'days=abc', 'days=1.5'])('refuses %s with 400', async (query) => {
    const problem = await expectProblem(
      await t.as('ov-err-admin', `/admin/overview?${query}`, { role: 'admin' }),
      400,
    );
    if (!problem.errors?.some((e) => e.pointer === '/query/days')) throw new Error(JSON.stringify(problem));
  });
});
