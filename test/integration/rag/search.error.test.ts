import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../../src/http/pagination.ts';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, uploadText } from '../../helpers/rag.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe('POST /search and POST /chat reject bad input', () => {
  const t = useTestApp('pglite', { env: { RAG_SEARCH_TOP_K_MAX: '20' } });
  const search = (body: unknown) => t.as('alice', '/search', postJson(body));

  // alice's documents, which the tests below only read.
  beforeAll(async () => {
    for (const n of [1, 2, 3])
      await uploadText(t, 'alice', { title: `Doc ${n}`, content: `Replication slot ${n}.` });
    await drain(t);
  });

  it('400 for an empty query, an unknown mode, or top_k beyond RAG_SEARCH_TOP_K_MAX', async () => {
    expect((await expectProblem(await search({ query: '   ' }), 400)).errors?.[0]?.pointer).toBe(
      '/body/query',
    );
    await expectProblem(await search({ query: 'slot', mode: 'semantic' }), 400);
    await expectProblem(await search({ query: 'slot', group_by: 'page' }), 400);
    expect((await expectProblem(await search({ query: 'slot', top_k: 21 }), 400)).errors?.[0]?.pointer).toBe(
      '/body/top_k',
    );
    await expectProblem(await search({ query: 'slot', filters: { document_ids: ['nope'] } }), 400);
  });

  it('400 for a forged cursor or one issued for another query', async () => {
    await expectProblem(await search({ query: 'slot', cursor: 'eyJ2Ijox' }), 400);
    const page = await readBody(
      await search({ query: 'slot', mode: 'fulltext', top_k: 1 }),
      searchRoute,
      200,
    );
    expect(page.next_cursor).not.toBeNull();
    await expectProblem(
      await search({ query: 'replication', mode: 'fulltext', top_k: 1, cursor: page.next_cursor }),
      400,
    );
    await expectProblem(
      await search({ query: 'slot', mode: 'vector', top_k: 1, cursor: page.next_cursor }),
      400,
    );
    await expectProblem(
      await search({
        query: 'slot',
        mode: 'fulltext',
        group_by: 'document',
        top_k: 1,
        cursor: page.next_cursor,
      }),
      400,
    );
  });

  it('400 at /body/cursor for a cursor whose fields were tampered with, before they reach SQL', async () => {
    const request = { query: 'slot', mode: 'fulltext', top_k: 1 };
    const page = await readBody(await search(request), searchRoute, 200);
    const issued = JSON.parse(Buffer.from(page.next_cursor!, 'base64url').toString('utf8'));
    for (const tampered of [
      { w: 2 ** 53 },
      { w: 1e21 },
      { w: -1 },
      { i: 1.5 },
      { v: 2 ** 31 },
      { k: 'NaN' },
      { k: null },
      { h: "' or 1=1 --" },
      { extra: true },
    ]) {
      const cursor = encodeCursor({ ...issued, ...tampered });
      const problem = await expectProblem(await search({ ...request, cursor }), 400);
      expect(problem.errors?.[0]?.pointer).toBe('/body/cursor');
    }
    for (const cursor of [Buffer.from('[]').toString('base64url'), 'not base64url!']) {
      await expectProblem(await search({ ...request, cursor }), 400);
    }
  });

  it('a query with no matches is an empty page, not an error', async () => {
    const page = await readBody(await search({ query: 'zzzqqq', mode: 'fulltext' }), searchRoute, 200);
    expect(page).toMatchObject({ results: [], next_cursor: null });
    expect(
      (await readBody(await search({ query: '!!!', mode: 'vector' }), searchRoute, 200)).results,
    ).toEqual([]);
  });

  it('chat: 400 for an empty message, 404 for an unknown conversation', async () => {
    await expectProblem(await t.as('alice', '/chat', postJson({ message: '' })), 400);
    await expectProblem(
      await t.as(
        'alice',
        '/chat',
        postJson({ message: 'slot?', conversation_id: '7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11' }),
      ),
      404,
    );
    const streamed = await t.as(
      'alice',
      '/chat',
      postJson({ message: 'slot?', stream: true, conversation_id: '7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11' }),
    );
    await expectProblem(streamed, 404);
  });
});
