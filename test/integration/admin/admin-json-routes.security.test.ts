import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('admin JSON routes refuse non-admins on %s', (kind) => {
  const t = useTestApp(kind);

  it.each(['/admin/overview', '/admin/usage', '/admin/actions'])(
    '%s: 401 without a token, 403 for a user',
    async (path) => {
      await expectProblem(await t.request(path), 401);
      const problem = await expectProblem(await t.as('sec-plain-user', path), 403);
      expect(problem.detail).toContain('admin');
    },
  );
});
