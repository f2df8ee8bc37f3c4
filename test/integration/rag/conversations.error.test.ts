import { describe, expect, it } from 'vitest';
import { listConversationsRoute } from '../../../src/rag/conversations/conversations.routes.ts';
import { CRAFTED_LIST_CURSORS, ISSUABLE_LIST_CURSOR } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('GET /conversations rejects bad cursors on %s', (kind) => {
  const t = useTestApp(kind);

  it.each(Object.entries(CRAFTED_LIST_CURSORS))('400 at /query/cursor for %s', async (_, cursor) => {
    const problem = await expectProblem(
      await t.as('conversations-cursor-alice', `/conversations?cursor=${encodeURIComponent(cursor)}`),
      400,
    );
    expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
  });

  it('accepts a well-formed cursor it could have issued', async () => {
    const cursor = ISSUABLE_LIST_CURSOR;
    const res = await t.as('conversations-cursor-bob', `/conversations?cursor=${cursor}`);
    expect(await readBody(res, listConversationsRoute, 200)).toEqual({ items: [], next_cursor: null });
  });
});
