import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /usage errors on %s', (kind) => {
  const t = useTestApp(kind);

  it.each([
    ['a malformed date', '/usage?from=yesterday', '/query/from'],
    ['an impossible date', '/usage?to=2026-02-30', '/query/to'],
    ['from after to', '/usage?from=2026-03-10&to=2026-03-01', '/query/from'],
    ['a period over 366 days', '/usage?from=2024-01-01&to=2026-01-01', '/query/from'],
  ])('rejects %s with 400', async (_, path, pointer) => {
    const problem = await expectProblem(await t.as('ivy', path), 400);
    expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
  });
});
