import { describe, expect, it } from 'vitest';
import { listDeadJobsRoute } from '../../../src/queue/admin/dead-jobs.routes.ts';
import { CRAFTED_LIST_CURSORS, ISSUABLE_LIST_CURSOR } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /admin/jobs/dead rejects bad cursors on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string) => t.as('root', path, { role: 'admin' });

  it.each(Object.entries(CRAFTED_LIST_CURSORS))('400 at /query/cursor for %s', async (_, cursor) => {
    const problem = await expectProblem(
      await admin(`/admin/jobs/dead?cursor=${encodeURIComponent(cursor)}`),
      400,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
  });

  it('accepts a well-formed cursor it could have issued', async () => {
    const res = await admin(`/admin/jobs/dead?cursor=${ISSUABLE_LIST_CURSOR}`);
    // No test here creates a job, so the whole dead-letter store is empty.
    expect(await readBody(res, listDeadJobsRoute, 200)).toEqual({ items: [], next_cursor: null });
  });
});
