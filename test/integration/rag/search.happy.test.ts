import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { drain, filePost, PG_DOC_FIXTURES, pgDoc } from '../../helpers/rag.ts';
import { createTestApp, readJson, type TestApp } from '../../helpers/test-app.ts';

const modes = ['vector', 'fulltext', 'hybrid'] as const;

describe.each(databaseKinds)('POST /search on %s', (kind) => {
  let database: DatabaseHandle;
  let t: TestApp;
  const titles = new Map<string, string>();
  const search = (body: Record<string, unknown>, sub = 'alice') => t.as(sub, '/search', postJson(body));

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    t = createTestApp(database);
    for (const name of PG_DOC_FIXTURES) {
      const res = await t.as(
        'alice',
        '/documents',
        filePost(name, pgDoc(name), { metadata: `{"page":"${name}"}` }),
      );
      const body = await readJson(res);
      titles.set(name, body.document.title);
    }
    await drain(t);
  });
  afterAll(() => database.close());

  it.each(modes)('%s mode finds the page that answers the question, with chunk details', async (mode) => {
    const res = await search({
      query: 'partial index over a subset of a table with a predicate',
      mode,
      top_k: 3,
    });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.mode).toBe(mode);
    expect(body.index_version).toMatchObject({ id: expect.any(Number), dimensions: 384 });
    expect(body.results.length).toBeGreaterThan(0);
    const top = body.results[0];
    expect(top.document_title).toBe(titles.get('indexes-partial.html'));
    expect(top).toMatchObject({
      chunk_id: expect.any(Number),
      document_id: expect.any(String),
      text: expect.any(String),
      score: expect.any(Number),
      heading_path: expect.arrayContaining([titles.get('indexes-partial.html')]),
    });
    expect(top.char_end).toBeGreaterThan(top.char_start);
    const scores = body.results.map((r: { score: number }) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it.each(modes)(
    '%s mode pages never repeat or skip a result, even when chunks are added between pages',
    async (mode) => {
      const query = 'index table rows boolean truncate';
      const all = await readJson(await search({ query, mode, top_k: 40 }));
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await readJson(await search({ query, mode, top_k: 3, ...(cursor ? { cursor } : {}) }));
        seen.push(...page.results.map((r: { chunk_id: number }) => r.chunk_id));
        cursor = page.next_cursor ?? undefined;
        if (pages++ === 0) {
          await t.as(
            'alice',
            '/documents',
            postJson({ title: 'Interloper', content: `${query} ${query} ${mode}` }),
          );
          await drain(t);
        }
      } while (cursor && pages < 50);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(all.results.map((r: { chunk_id: number }) => r.chunk_id));
    },
  );

  it('filters by document id and by metadata', async () => {
    const { results } = await readJson(await search({ query: 'boolean', mode: 'fulltext', top_k: 50 }));
    const booleanDoc = results.find(
      (r: { document_title: string }) => r.document_title === titles.get('datatype-boolean.html'),
    );
    const byId = await readJson(
      await search({
        query: 'index',
        mode: 'hybrid',
        top_k: 50,
        filters: { document_ids: [booleanDoc.document_id] },
      }),
    );
    expect(byId.results.length).toBeGreaterThan(0);
    expect(new Set(byId.results.map((r: { document_id: string }) => r.document_id))).toEqual(
      new Set([booleanDoc.document_id]),
    );
    const byMetadata = await readJson(
      await search({
        query: 'index',
        mode: 'vector',
        top_k: 50,
        filters: { metadata: { page: 'indexes-unique.html' } },
      }),
    );
    expect(byMetadata.results.length).toBeGreaterThan(0);
    expect(new Set(byMetadata.results.map((r: { document_title: string }) => r.document_title))).toEqual(
      new Set([titles.get('indexes-unique.html')]),
    );
  });
});
