import { describe, expect, it } from 'vitest';
import { listAdminActionsRoute } from '../../../src/admin/actions/actions.routes.ts';
import { retryJobRoute } from '../../../src/queue/admin/dead-jobs.routes.ts';
import {
  activateIndexVersionRoute,
  createIndexVersionRoute,
} from '../../../src/rag/index-versions/index-versions.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';
import { storeDeadJob } from './admin-fixtures.ts';

const actions = async (t: TestApp, query: string) =>
  readBody(
    await t.as('actions-reader', `/admin/actions?${query}`, { role: 'admin' }),
    listAdminActionsRoute,
    200,
  );

describe.each(databaseKinds)('GET /admin/actions on %s', (kind) => {
  // Each test acts as an admin of its own and filters on that actor.
  const t = useTestApp(kind);

  it('records a dead-job retry with its actor, target and request id', async () => {
    const id = await storeDeadJob(t, 'test.retry-audit');
    const retried = await t.as('actions-retrier', `/admin/jobs/${id}/retry`, {
      role: 'admin',
      method: 'POST',
      headers: { 'X-Request-Id': 'retry-audit-req' },
    });
    await readBody(retried, retryJobRoute, 202);
    const page = await actions(t, 'actor_id=actions-retrier');
    expect(page).toEqual({
      items: [
        {
          id: expect.any(Number),
          created_at: expect.any(String),
          actor_id: 'actions-retrier',
          action: 'job.retry',
          target: `job:${id}`,
          details: { kind: 'test.retry-audit' },
          request_id: 'retry-audit-req',
        },
      ],
      next_cursor: null,
    });
  });

  it('writes no audit row when the retry fails', async () => {
    const missing = '00000000-0000-4000-8000-0000000000aa';
    const res = await t.as('actions-failed-retrier', `/admin/jobs/${missing}/retry`, {
      role: 'admin',
      method: 'POST',
    });
    expect(res.status).toBe(404);
    expect((await actions(t, 'actor_id=actions-failed-retrier')).items).toEqual([]);
  });

  it('records an index activation', async () => {
    const created = await readBody(
      await t.as('actions-indexer', '/admin/index/versions', {
        role: 'admin',
        ...postJson({ auto_activate: false }),
      }),
      createIndexVersionRoute,
      202,
    );
    await readBody(
      await t.as('actions-indexer', `/admin/index/versions/${created.id}/activate`, {
        role: 'admin',
        method: 'POST',
      }),
      activateIndexVersionRoute,
      200,
    );
    const page = await actions(t, `actor_id=actions-indexer&action=index.activate`);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      target: `index:${created.id}`,
      details: { before: { state: 'building' }, after: { state: 'active' } },
    });
  });

  it('pages newest first and narrows by action and target', async () => {
    for (const sub of ['actions-page-u1', 'actions-page-u2', 'actions-page-u3']) await t.as(sub, '/me');
    for (const sub of ['actions-page-u1', 'actions-page-u2', 'actions-page-u3'])
      await t.as('actions-pager', `/admin/users/${sub}`, {
        role: 'admin',
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'disabled' }),
      });
    const first = await actions(t, 'actor_id=actions-pager&limit=2');
    expect(first.items.map((a) => a.target)).toEqual(['user:actions-page-u3', 'user:actions-page-u2']);
    const second = await actions(t, `actor_id=actions-pager&limit=2&cursor=${first.next_cursor}`);
    expect(second).toMatchObject({
      items: [{ target: 'user:actions-page-u1', action: 'user.disable' }],
      next_cursor: null,
    });
    const one = await actions(t, 'actor_id=actions-pager&action=user.disable&target=user:actions-page-u2');
    expect(one.items.map((a) => a.target)).toEqual(['user:actions-page-u2']);
  });
});
