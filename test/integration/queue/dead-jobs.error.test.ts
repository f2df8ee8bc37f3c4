import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../../src/http/pagination.ts';
import { listDeadJobsRoute } from '../../../src/queue/admin/dead-jobs.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const ID = '7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11';
const TIME = '2024-05-01T12:00:00.000000';

// Cursors this API never issued: each would reach SQL as a bad cast, or as a value it should not see.
const craftedCursors = {
  'an infinite timestamp': encodeCursor({ t: 'infinity', i: ID }),
  'year 0': encodeCursor({ t: '0000-01-01T00:00:00.000000', i: ID }),
  'an hour that does not exist': encodeCursor({ t: '2024-05-01T24:00:00.000000', i: ID }),
  'a timestamp without microseconds': encodeCursor({ t: '2024-05-01T12:00:00', i: ID }),
  'an id that is not a uuid': encodeCursor({ t: TIME, i: 42 }),
  'a missing id': encodeCursor({ t: TIME }),
  'base64url that is not JSON': Buffer.from('{"t":').toString('base64url'),
  'text that is not base64url': 'eyJ0Ijoi+/==',
};

describe.each(databaseKinds)('GET /admin/jobs/dead rejects bad cursors on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string) => t.as('root', path, { role: 'admin' });

  it.each(Object.entries(craftedCursors))('400 at /query/cursor for %s', async (_, cursor) => {
    const problem = await expectProblem(
      await admin(`/admin/jobs/dead?cursor=${encodeURIComponent(cursor)}`),
      400,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
  });

  it('accepts a well-formed cursor it could have issued', async () => {
    const res = await admin(`/admin/jobs/dead?cursor=${encodeCursor({ t: TIME, i: ID })}`);
    // No test here creates a job, so the whole dead-letter store is empty.
    expect(await readBody(res, listDeadJobsRoute, 200)).toEqual({ items: [], next_cursor: null });
  });
});
