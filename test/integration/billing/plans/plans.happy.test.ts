import { describe, expect, it } from 'vitest';
import { listAdminAudit } from '../../../../src/admin/admin-audit.ts';
import {
  createPlanRoute,
  getPlanRoute,
  listPlansRoute,
  updatePlanRoute,
} from '../../../../src/billing/plans/plans.routes.ts';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson, readBody } from '../../../helpers/json-request.ts';
import { useTestApp } from '../../../helpers/test-app.ts';

const admin = { role: 'admin' as const };
const patchJson = (body: unknown) => ({ ...postJson(body), method: 'PATCH' });

describe.each(databaseKinds)('/admin/plans on %s', (kind) => {
  const t = useTestApp(kind);

  it('lists the seeded plans, free with finite quotas', async () => {
    const page = await readBody(await t.as('plans-admin-1', '/admin/plans', admin), listPlansRoute, 200);
    const names = page.items.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['free', 'pro', 'team']));
    const free = await readBody(await t.as('plans-admin-1', '/admin/plans/free', admin), getPlanRoute, 200);
    expect(free.model_requests_per_day).toBeGreaterThan(0);
    expect(free.cost_usd_per_month).toBe(5);
  });

  it('creates and updates a plan, each change audited', async () => {
    const body = {
      name: 'startup',
      description: 'Small teams',
      model_requests_per_day: 2000,
      tokens_per_month: 5_000_000,
      cost_usd_per_month: 12.5,
      agent_runs_per_day: 100,
      documents: null,
      stored_bytes: 1_000_000,
    };
    const created = await readBody(
      await t.as('plans-admin-2', '/admin/plans', { ...postJson(body), ...admin }),
      createPlanRoute,
      201,
    );
    expect(created).toMatchObject({ name: 'startup', cost_usd_per_month: 12.5, documents: null });

    const updated = await readBody(
      await t.as('plans-admin-2', '/admin/plans/startup', {
        ...patchJson({ cost_usd_per_month: null, documents: 50 }),
        ...admin,
      }),
      updatePlanRoute,
      200,
    );
    expect(updated).toMatchObject({ cost_usd_per_month: null, documents: 50, model_requests_per_day: 2000 });

    const audit = await listAdminAudit(t.deps, { limit: 10, target: 'plan:startup' });
    expect(audit.items.map((e) => e.action)).toEqual(['plan.update', 'plan.create']);
    expect(audit.items[0]).toMatchObject({
      actorId: 'plans-admin-2',
      details: {
        before: { cost_usd_per_month: 12.5, documents: null },
        after: { cost_usd_per_month: null, documents: 50 },
      },
    });
  });
});
