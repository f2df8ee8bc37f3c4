import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson } from '../../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../../helpers/test-app.ts';

const admin = { role: 'admin' as const };
const plan = {
  name: 'dup',
  model_requests_per_day: 1,
  tokens_per_month: 1,
  cost_usd_per_month: 1,
  agent_runs_per_day: 1,
  documents: 1,
  stored_bytes: 1,
};

describe.each(databaseKinds)('/admin/plans errors on %s', (kind) => {
  const t = useTestApp(kind);

  it('answers 409 for a name already taken, 404 for an unknown plan', async () => {
    await expectProblem(
      await t.as('pe-1', '/admin/plans', { ...postJson({ ...plan, name: 'free' }), ...admin }),
      409,
    );
    await expectProblem(await t.as('pe-1', '/admin/plans/nope', admin), 404);
    await expectProblem(
      await t.as('pe-1', '/admin/plans/nope', { ...postJson({ documents: 3 }), method: 'PATCH', ...admin }),
      404,
    );
  });

  it('refuses bad names, negative or missing quotas, unknown fields and empty updates with 400', async () => {
    const bad = [
      { ...plan, name: 'Bad Name' },
      { ...plan, documents: -1 },
      { ...plan, tokens_per_month: 1.5 },
      { ...plan, surprise: true },
      Object.fromEntries(Object.entries(plan).filter(([k]) => k !== 'documents')),
    ];
    for (const body of bad) {
      const problem = await expectProblem(
        await t.as('pe-2', '/admin/plans', { ...postJson(body), ...admin }),
        400,
      );
      expect(problem.errors?.length).toBeGreaterThan(0);
    }
    await expectProblem(
      await t.as('pe-2', '/admin/plans/free', { ...postJson({}), method: 'PATCH', ...admin }),
      400,
    );
  });
});
