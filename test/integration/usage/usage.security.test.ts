import { describe, expect, it } from 'vitest';
import { getUsageRoute } from '../../../src/usage/usage.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /usage security on %s', (kind) => {
  const t = useTestApp(kind);

  it('requires a bearer token', async () => {
    await expectProblem(await t.request('/usage'), 401);
  });

  it('shows callers only their own usage, whatever the query says', async () => {
    await t.as('jack', '/analyze', postJson({ text: 'Jack writes a note.' }));
    await t.as('jack', '/analyze', postJson({ text: 'Jack writes another note.' }));
    await t.as('kate', '/analyze', postJson({ text: 'Kate writes one.' }));
    await t.deps.usage.flush();
    const jack = await readBody(await t.as('jack', '/usage?user_id=kate'), getUsageRoute, 200);
    const kate = await readBody(await t.as('kate', '/usage'), getUsageRoute, 200);
    expect(jack).toMatchObject({ user_id: 'jack', totals: { calls: 2 } });
    expect(kate).toMatchObject({ user_id: 'kate', totals: { calls: 1 } });
  });
});
