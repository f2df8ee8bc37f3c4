import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('DELETE /conversations/{id} security on %s', (kind) => {
  const t = useTestApp(kind);

  it("401 without a token; another user's conversation is 404 and stays", async () => {
    await t.as('conv-del-owner', '/me');
    const [row] = rowsOf<{ id: string }>(
      await t.database.db.execute(
        sql`insert into conversations (owner_id, title) values ('conv-del-owner', 'mine') returning id`,
      ),
    );
    const path = `/conversations/${row!.id}`;
    await expectProblem(await t.request(path, { method: 'DELETE' }), 401);
    await expectProblem(await t.as('conv-del-mallory', path, { method: 'DELETE' }), 404);
    expect((await t.as('conv-del-owner', path)).status).toBe(200);
    expect((await t.as('conv-del-owner', path, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await t.as('conv-del-owner', path, { method: 'DELETE' }), 404);
  });
});
