import { describe, expect, it } from 'vitest';
import { listAdminAudit } from '../../../../src/admin/admin-audit.ts';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson } from '../../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../../helpers/test-app.ts';

describe.each(databaseKinds)('/admin/plans security on %s', (kind) => {
  const t = useTestApp(kind);

  it('refuses callers without a token (401) and non-admins (403), changing nothing', async () => {
    await expectProblem(await t.request('/admin/plans'), 401);
    await expectProblem(await t.as('ps-user', '/admin/plans'), 403);
    await expectProblem(
      await t.as('ps-user', '/admin/plans/free', {
        ...postJson({ model_requests_per_day: null }),
        method: 'PATCH',
      }),
      403,
    );
    const audit = await listAdminAudit(t.deps, { limit: 10, target: 'plan:free' });
    expect(audit.items).toHaveLength(0);
  });

  it('stores hostile text as data', async () => {
    const description = "'); drop table plans; --";
    const res = await t.as('ps-admin', '/admin/plans/pro', {
      ...postJson({ description }),
      method: 'PATCH',
      role: 'admin',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { description: string }).description).toBe(description);
    await expectProblem(
      await t.as('ps-admin', '/admin/plans/pro', {
        ...postJson({ description: 'a\u0000b' }),
        method: 'PATCH',
        role: 'admin',
      }),
      400,
    );
  });
});
