import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../../src/http/pagination.ts';
import { listConversationsRoute } from '../../../src/rag/conversations/conversations.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const ID = '7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11';
const TIME = '2024-05-01T12:00:00.000000';

// Cursors this API never issued: each would reach SQL as a bad cast, or as a value it should not see.
const craftedCursors = {
  'an infinite timestamp': encodeCursor({ t: 'infinity', i: ID }),
  'year 0': encodeCursor({ t: '0000-01-01T00:00:00.000000', i: ID }),
  'a date that does not exist': encodeCursor({ t: '2024-02-30T00:00:00.000000', i: ID }),
  'a number for the timestamp': encodeCursor({ t: 1e300, i: ID }),
  'an id that is not a uuid': encodeCursor({ t: TIME, i: 'x' }),
  'an extra field': encodeCursor({ t: TIME, i: ID, limit: 1 }),
  'JSON that is not an object': encodeCursor([TIME, ID]),
  'base64url that is not JSON': Buffer.from('not json').toString('base64url'),
  'text that is not base64url': '!!!',
};

describe.each(databaseKinds)('GET /conversations rejects bad cursors on %s', (kind) => {
  const t = useTestApp(kind);

  it.each(Object.entries(craftedCursors))('400 at /query/cursor for %s', async (_, cursor) => {
    const problem = await expectProblem(
      await t.as('conversations-cursor-alice', `/conversations?cursor=${encodeURIComponent(cursor)}`),
      400,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
  });

  it('accepts a well-formed cursor it could have issued', async () => {
    const cursor = encodeCursor({ t: TIME, i: ID });
    const res = await t.as('conversations-cursor-bob', `/conversations?cursor=${cursor}`);
    expect(await readBody(res, listConversationsRoute, 200)).toEqual({ items: [], next_cursor: null });
  });
});
