import { describe, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('DELETE /conversations/{id} errors on %s', (kind) => {
  const t = useTestApp(kind);

  it('400 for an id that is not a uuid', async () => {
    await expectProblem(await t.as('conv-del-err', '/conversations/42', { method: 'DELETE' }), 400);
    await expectProblem(
      await t.as('conv-del-err', "/conversations/1'%20or%201=1", { method: 'DELETE' }),
      400,
    );
  });

  it('404 for an unknown conversation, and for one already deleted', async () => {
    await expectProblem(
      await t.as('conv-del-err', '/conversations/7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11', { method: 'DELETE' }),
      404,
    );
  });
});
