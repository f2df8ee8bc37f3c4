import { describe, expect, it } from 'vitest';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, ingestPgDocs } from '../../helpers/rag.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const modes = ['vector', 'fulltext', 'hybrid'] as const;

describe.each(databaseKinds)('POST /search on %s', (kind) => {
  const t = useTestApp(kind);
  const search = async (sub: string, body: Record<string, unknown>) =>
    readBody(await t.as(sub, '/search', postJson(body)), searchRoute, 200);

  it.each(modes)('%s mode finds the page that answers the question, with chunk details', async (mode) => {
    const sub = `search-top-${mode}-alice`;
    const docs = await ingestPgDocs(t, sub);
    const partial = docs.get('indexes-partial.html')!.title;
    const body = await search(sub, {
      query: 'partial index over a subset of a table with a predicate',
      mode,
      top_k: 3,
    });
    expect(body.mode).toBe(mode);
    expect(body.index_version).toMatchObject({ id: expect.any(Number), dimensions: 384 });
    expect(body.results.length).toBeGreaterThan(0);
    const top = body.results[0]!;
    expect(top.document_title).toBe(partial);
    expect(top).toMatchObject({
      chunk_id: expect.any(Number),
      document_id: expect.any(String),
      text: expect.any(String),
      score: expect.any(Number),
      heading_path: expect.arrayContaining([partial]),
    });
    expect(top.char_end).toBeGreaterThan(top.char_start);
    const scores = body.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it.each(modes)(
    '%s mode pages never repeat or skip a result, even when chunks are added between pages',
    async (mode) => {
      const sub = `search-pages-${mode}-alice`;
      await ingestPgDocs(t, sub);
      const query = 'index table rows boolean truncate';
      const all = await search(sub, { query, mode, top_k: 40 });
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await search(sub, { query, mode, top_k: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.results.map((r) => r.chunk_id));
        cursor = page.next_cursor ?? undefined;
        if (pages++ === 0) {
          await t.as(
            sub,
            '/documents',
            postJson({ title: 'Interloper', content: `${query} ${query} ${mode}` }),
          );
          await drain(t);
        }
      } while (cursor && pages < 50);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(all.results.map((r) => r.chunk_id));
    },
  );

  it.each(modes)(
    '%s mode grouped by document: one result per document, its best chunks attached, pages exact',
    async (mode) => {
      const sub = `search-documents-${mode}-alice`;
      const docs = await ingestPgDocs(t, sub);
      const query = 'partial index over a subset of a table with a predicate';
      const all = await search(sub, { query, mode, group_by: 'document', top_k: 20 });
      expect(all.group_by).toBe('document');
      expect(all.results[0]!.document_title).toBe(docs.get('indexes-partial.html')!.title);
      const ids = all.results.map((r) => r.document_id);
      expect(new Set(ids).size).toBe(ids.length);
      const scores = all.results.map((r) => r.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      for (const result of all.results) {
        const chunks = result.chunks!;
        expect(chunks.length).toBeGreaterThan(0);
        expect(chunks.length).toBeLessThanOrEqual(3);
        expect(chunks[0]).toMatchObject({ chunk_id: result.chunk_id, text: result.text });
        expect(chunks.map((c) => c.score)).toEqual(chunks.map((c) => c.score).sort((a, b) => b - a));
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await search(sub, {
          query,
          mode,
          group_by: 'document',
          top_k: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.results.map((r) => r.document_id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor && seen.length < 50);
      expect(seen).toEqual(ids);
      const chunked = await search(sub, { query, mode, top_k: 5 });
      expect(chunked.group_by).toBe('chunk');
      expect(chunked.results.every((r) => r.chunks === undefined)).toBe(true);
    },
  );

  it('filters by document id and by metadata', async () => {
    const sub = 'search-filters-alice';
    const docs = await ingestPgDocs(t, sub);
    const { results } = await search(sub, { query: 'boolean', mode: 'fulltext', top_k: 50 });
    const booleanDoc = results.find((r) => r.document_title === docs.get('datatype-boolean.html')!.title)!;
    const byId = await search(sub, {
      query: 'index',
      mode: 'hybrid',
      top_k: 50,
      filters: { document_ids: [booleanDoc.document_id] },
    });
    expect(byId.results.length).toBeGreaterThan(0);
    expect(new Set(byId.results.map((r) => r.document_id))).toEqual(new Set([booleanDoc.document_id]));
    const byMetadata = await search(sub, {
      query: 'index',
      mode: 'vector',
      top_k: 50,
      filters: { metadata: { page: 'indexes-unique.html' } },
    });
    expect(byMetadata.results.length).toBeGreaterThan(0);
    expect(new Set(byMetadata.results.map((r) => r.document_title))).toEqual(
      new Set([docs.get('indexes-unique.html')!.title]),
    );
  });
});
