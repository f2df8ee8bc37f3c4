import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { findActiveVersion } from '../../../src/rag/index-versions/ensure-active-version.ts';
import { ingestDocument } from '../../../src/rag/ingest/ingest-document.ts';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { searchChunks } from '../../../src/rag/search/search-chunks.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, getDocument, queueText } from '../../helpers/rag.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const paragraphs = (word: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `Paragraph ${i} mentions ${word} ${'and more words '.repeat(30)}.`,
  ).join('\n\n');

describe.each(databaseKinds)('ingestion on %s', (kind) => {
  const t = useTestApp(kind, { env: { RAG_CHUNK_SIZE: '64', RAG_CHUNK_OVERLAP: '8' } });
  const chunksOf = async (documentId: string) =>
    rowsOf<{ ordinal: number; text: string }>(
      await t.deps.db.execute(
        sql`select ordinal, text from chunks where document_id = ${documentId} order by ordinal`,
      ),
    );

  it('a job delivered twice, even at the same time, leaves exactly one set of chunks', async () => {
    const { document_id } = await queueText(t, 'alice', { title: 'Twice', content: paragraphs('twice', 6) });
    const version = (await findActiveVersion(t.deps.db))!;
    const payload = { documentId: document_id, indexVersionId: version.id };
    const job = { id: 'duplicate', attempt: 1, maxAttempts: 1 };
    await Promise.all([ingestDocument(t.deps, payload, job), ingestDocument(t.deps, payload, job)]);
    const once = await chunksOf(document_id);
    await drain(t);
    await ingestDocument(t.deps, payload, job);
    const after = await chunksOf(document_id);
    expect(once.length).toBeGreaterThan(1);
    expect(after).toEqual(once);
    expect(after.map((c) => c.ordinal)).toEqual(once.map((_, i) => i));
    const doc = await getDocument(t, 'alice', document_id);
    expect(doc.chunk_count).toBe(once.length);
  });

  it('a changed document under the same source replaces its chunks atomically: searches see old or new, never a mix or none', async () => {
    const first = await queueText(t, 'bob', {
      title: 'Evolving',
      source: 'notes/evolving.md',
      content: paragraphs('alphaword', 5),
    });
    await drain(t);
    const replaced = await queueText(t, 'bob', {
      title: 'Evolving',
      source: 'notes/evolving.md',
      content: paragraphs('omegaword', 8),
    });
    expect(replaced.document_id).toBe(first.document_id);

    const observed: string[] = [];
    let ingesting = true;
    const watch = (async () => {
      while (ingesting || observed.length < 5) {
        const page = await readBody(
          await t.as(
            'bob',
            '/search',
            postJson({ query: 'paragraph mentions', mode: 'fulltext', top_k: 50 }),
          ),
          searchRoute,
          200,
        );
        const texts = page.results.map((r) => r.text);
        const old = texts.filter((x) => x.includes('alphaword')).length;
        const neu = texts.filter((x) => x.includes('omegaword')).length;
        observed.push(old > 0 && neu === 0 ? 'old' : neu > 0 && old === 0 ? 'new' : `mixed:${old}/${neu}`);
      }
    })();
    await drain(t);
    ingesting = false;
    await watch;
    expect(observed.every((o) => o === 'old' || o === 'new')).toBe(true);
    expect(observed.at(-1)).toBe('new');
    const chunks = await chunksOf(first.document_id);
    expect(chunks.every((c) => c.text.includes('omegaword') || !c.text.includes('alphaword'))).toBe(true);
    expect((await getDocument(t, 'bob', first.document_id)).status).toBe('ready');
  });

  it('honours a per-document chunking override and keeps every chunk within it', async () => {
    const { document_id } = await queueText(t, 'carol', {
      title: 'Sized',
      content: paragraphs('sized', 10),
      chunking: { size: 40, overlap: 0 },
    });
    await drain(t);
    const rows = rowsOf<{ token_count: number }>(
      await t.deps.db.execute(sql`select token_count from chunks where document_id = ${document_id}`),
    );
    expect(rows.length).toBeGreaterThan(10);
    expect(Math.max(...rows.map((r) => r.token_count))).toBeLessThanOrEqual(40);
    expect((await getDocument(t, 'carol', document_id)).chunking).toEqual({
      size: 40,
      overlap: 0,
    });
  });

  it('a document deleted before its job runs is skipped', async () => {
    const { document_id } = await queueText(t, 'dave', { title: 'Brief', content: 'Short lived.' });
    await t.as('dave', `/documents/${document_id}`, { method: 'DELETE' });
    expect(await drain(t)).toBe(1);
    expect(await chunksOf(document_id)).toEqual([]);
  });
});

// The race the concurrent test above can only hit by chance, made certain: the document is
// replaced right after the search takes its chunk watermark and before it ranks.
describe.skipIf(!databaseKinds.includes('postgres'))('a search racing a replacement on postgres', () => {
  const t = useTestApp('postgres', { env: { RAG_CHUNK_SIZE: '64', RAG_CHUNK_OVERLAP: '8' } });

  it('ranks in the snapshot its watermark was taken in', async () => {
    const first = await queueText(t, 'erin', {
      title: 'Raced',
      source: 'raced.md',
      content: paragraphs('alphaword', 3),
    });
    await drain(t);
    await queueText(t, 'erin', { title: 'Raced', source: 'raced.md', content: paragraphs('omegaword', 3) });
    let replaced = false;
    // Every execute of the search, inside its transaction or not, sees the replacement land
    // once the watermark query has answered.
    const racing = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(o, key, receiver) {
          const value = Reflect.get(o, key, receiver);
          if (key === 'execute') {
            return async (query: Parameters<typeof t.deps.db.execute>[0]) => {
              const result = await (value as typeof t.deps.db.execute).call(o, query);
              if (!replaced && JSON.stringify(query).includes('max(id)')) {
                replaced = true;
                await drain(t);
              }
              return result;
            };
          }
          if (key === 'transaction') {
            return (fn: (tx: object) => Promise<unknown>, config?: unknown) =>
              (value as (f: typeof fn, c?: unknown) => Promise<unknown>).call(
                o,
                (tx: object) => fn(racing(tx)),
                config,
              );
          }
          return value;
        },
      });
    const page = await searchChunks(
      { ...t.deps, db: racing(t.deps.db) },
      { ownerId: 'erin', query: 'paragraph mentions', topK: 50, mode: 'fulltext', meta: {} },
    );
    expect(replaced).toBe(true);
    expect(page.results.length).toBeGreaterThan(0);
    expect(
      page.results.every((r) => r.documentId === first.document_id && r.text.includes('alphaword')),
    ).toBe(true);
    const after = await searchChunks(t.deps, {
      ownerId: 'erin',
      query: 'paragraph mentions',
      topK: 50,
      mode: 'fulltext',
      meta: {},
    });
    expect(after.results.length).toBeGreaterThan(0);
    expect(after.results.every((r) => r.text.includes('omegaword'))).toBe(true);
  });
});
