import { describe, expect, it } from 'vitest';
import { eraseUserData } from '../../../src/account/erase-user-data.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { queueText } from '../../helpers/rag.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { rowsNaming } from './seed-account.ts';

describe.each(databaseKinds)('erasure errors on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });
  const admin = (path: string) => t.as('erase-err-root', path, { method: 'DELETE', role: 'admin' });

  it('400 for a user id with a NUL character or too long, 404 for an empty one', async () => {
    await expectProblem(await admin('/admin/users/a%00b/data'), 400);
    await expectProblem(await admin(`/admin/users/${'x'.repeat(4097)}/data`), 400);
    await expectProblem(await admin('/admin/users//data'), 404);
  });

  it('a document uploaded between the batches and the final step is taken by another pass', async () => {
    const sub = 'erase-err-race';
    await queueText(t, sub, { title: 'one', content: 'first document' });
    const { db } = t.deps;
    let transactions = 0;
    // The first transaction deletes the one document; before the second (the final step) starts,
    // a concurrent upload adds another, which blocks the user row's deletion.
    const racingDb = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== 'transaction') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<typeof db.transaction>) => {
          transactions += 1;
          if (transactions === 2) await queueText(t, sub, { title: 'two', content: 'second document' });
          return target.transaction(...args);
        };
      },
    });
    const report = await eraseUserData({ ...t.deps, db: racingDb }, { userId: sub });
    expect(transactions).toBeGreaterThan(3);
    expect(report.documents).toBe(2);
    const after = await rowsNaming(t, sub);
    expect(Object.values(after).every((n) => n === 0)).toBe(true);
  });
});
