import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { createTestApp, expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /me/export errors on %s', (kind) => {
  const t = useTestApp(kind);

  it('a read failing mid-stream ends the body short (never valid JSON) and is logged', async () => {
    await t.as('export-err-a', '/me');
    const { db } = t.deps;
    let selects = 0;
    // The user row and the first sections read, then the database fails.
    const failing = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== 'select') return Reflect.get(target, property, receiver);
        return (...args: Parameters<typeof db.select>) => {
          selects += 1;
          if (selects > 3) throw new Error('connection lost');
          return target.select(...args);
        };
      },
    });
    const broken = createTestApp(t.database, { override: { db: failing } });
    const res = await broken.app.request('/me/export', {
      headers: { Authorization: `Bearer ${await broken.token('export-err-a')}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text().catch(() => '');
    expect(() => JSON.parse(text)).toThrow();
    expect(broken.logs.some((l) => l.msg === 'export failed')).toBe(true);
  });

  it('405 problem+json for another method, naming GET', async () => {
    const problem = await expectProblem(await t.as('export-err-b', '/me/export', { method: 'POST' }), 405);
    expect(problem.detail).toMatch(/GET/);
  });
});
