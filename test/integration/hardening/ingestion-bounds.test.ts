import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { documentStorage } from '../../../src/rag/documents/document-storage.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../../src/rag/documents/documents.routes.ts';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, filePost, uploadText } from '../../helpers/rag.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

const upload = async (t: TestApp, sub: string, init: RequestInit) =>
  readBody(await t.as(sub, '/documents', init), uploadDocumentRoute, 202);
const documentOf = async (t: TestApp, sub: string, id: string) =>
  readBody(await t.as(sub, `/documents/${id}`), getDocumentRoute, 200);
const ASCII = 'abcdefghijklmnopqrstuvwxyz0123456789';
const CJK = Array.from({ length: 2000 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
// Pseudo-random text from `alphabet` (one UTF-16 unit per character).
function randomText(length: number, alphabet: string): string {
  let x = 7;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += alphabet[x % alphabet.length];
  }
  return out;
}
const pointerOf = async (res: Response, status: number) =>
  (await expectProblem(res, status)).errors?.[0]?.pointer;

describe.each(databaseKinds)('upload limits on %s', (kind) => {
  const t = useTestApp(kind);

  it('a 6000-character file name is 422 at /body/file, not a 500 from the source index', async () => {
    // Random, so PostgreSQL cannot compress it into the index entry (the 500 it used to be).
    const name = `${randomText(5996, ASCII)}.txt`;
    expect(await pointerOf(await t.as('limits-a', '/documents', filePost(name, 'Text.')), 422)).toBe(
      '/body/file',
    );
    // 1000 characters, but 3000 bytes: more than the index entry beside an owner id can hold.
    const wide = `${randomText(996, CJK)}.txt`;
    expect(await pointerOf(await t.as('limits-a', '/documents', filePost(wide, 'Text.')), 422)).toBe(
      '/body/file',
    );
    const longest = `${randomText(996, ASCII)}.txt`;
    const accepted = await upload(t, 'limits-a', filePost(longest, 'Text.'));
    expect(accepted.document.source).toBe(longest);
    // The name stands in for a title: cut to 500 characters.
    expect(accepted.document.title.length).toBeLessThanOrEqual(500);
  });

  it('the widest source allowed fits its index entry beside the widest owner id', async () => {
    // 255 characters of three bytes each is the longest subject a token may carry.
    const owner = randomText(255, CJK);
    const source = randomText(500, CJK);
    const res = await uploadText(t, owner, { title: 'Wide', content: 'Wide source.', source });
    expect((await readBody(res, uploadDocumentRoute, 202)).document.source).toBe(source);
  });

  it('an explicit source over 1500 UTF-8 bytes or a title over 500 characters is refused', async () => {
    const source = await uploadText(t, 'limits-b', {
      title: 'T',
      content: 'Text.',
      source: '名'.repeat(600),
    });
    expect(await pointerOf(source, 400)).toBe('/body/source');
    const title = await uploadText(t, 'limits-b', { title: 't'.repeat(501), content: 'Text.' });
    expect(await pointerOf(title, 400)).toBe('/body/title');
    const form = await t.as(
      'limits-b',
      '/documents',
      filePost('a.txt', 'Text.', { source: '名'.repeat(600) }),
    );
    expect(await pointerOf(form, 400)).toBe('/body/source');
  });

  it('an HTML <title> of 2 MB becomes a title of at most 500 characters, cut between words', async () => {
    const html = `<html><head><title>${'partial index '.repeat(160_000)}</title></head><body><p>Body text.</p></body></html>`;
    const { document } = await upload(t, 'limits-c', filePost('huge-title.html', html));
    expect(document.title.length).toBeLessThanOrEqual(500);
    expect(document.title.length).toBeGreaterThan(400);
    expect(document.title).toMatch(/(partial|index)$/);
  });

  it('NUL characters and lone surrogates are refused with the pointer of the field that holds them', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ title: 'T', content: 'a\u0000b' }, '/body/content'],
      [{ title: 'T\uD800', content: 'Text.' }, '/body/title'],
      [{ title: 'T', content: 'Text.', source: 'a\u0000' }, '/body/source'],
      [{ title: 'T', content: 'Text.', metadata: { team: 'x\uDC00' } }, '/body/metadata/team'],
      [{ title: 'T', content: 'Text.', metadata: { 'k\u0000': 'v' } }, '/body/metadata/k\u0000'],
    ];
    for (const [body, pointer] of cases) {
      expect(await pointerOf(await uploadText(t, 'limits-d', body), 400)).toBe(pointer);
    }
    const form = await t.as(
      'limits-d',
      '/documents',
      filePost('a.txt', 'Text.', { metadata: '{"k":"\\u0000"}' }),
    );
    expect(await pointerOf(form, 400)).toBe('/body/metadata');
    const nul = await t.as('limits-d', '/documents', filePost('a\u0000b.txt', 'Text.'));
    expect(await pointerOf(nul, 422)).toBe('/body/file');
  });

  it('a chunk overlap over a quarter of the chunk size is 422 at its field', async () => {
    const json = await uploadText(t, 'limits-e', {
      title: 'T',
      content: 'Text.',
      chunking: { size: 2048, overlap: 1024 },
    });
    expect(await pointerOf(json, 422)).toBe('/body/chunking/overlap');
    const form = await t.as(
      'limits-e',
      '/documents',
      filePost('a.txt', 'Text.', { chunk_size: '16', chunk_overlap: '15' }),
    );
    expect(await pointerOf(form, 422)).toBe('/body/chunk_overlap');
    const quarter = await upload(
      t,
      'limits-e',
      postJson({ title: 'Q', content: 'Quarter.', chunking: { size: 64, overlap: 16 } }),
    );
    expect(quarter.document.chunking).toEqual({ size: 64, overlap: 16 });
    // Only a size: the configured overlap, within a quarter of it.
    const sized = await upload(
      t,
      'limits-e',
      postJson({ title: 'S', content: 'Sized.', chunking: { size: 16 } }),
    );
    expect(sized.document.chunking).toEqual({ size: 16, overlap: 4 });
  });
});

describe.each(databaseKinds)('ingestion bounds on %s', (kind) => {
  const t = useTestApp(kind, { env: { RAG_MAX_CHUNKS_PER_DOCUMENT: '50' } });

  it('60 KB of short lines with large chunks stores a handful of chunks, not one per line', async () => {
    // With {size: 2048, overlap: 1024} this made 18,977 chunks and 155 MB; that overlap is now
    // refused, and the largest allowed one carries over a quarter of a chunk at most.
    const { document_id } = await upload(
      t,
      'bounds-a',
      postJson({ title: 'Lines', content: 'a\n'.repeat(30_000), chunking: { size: 2048, overlap: 512 } }),
    );
    await drain(t);
    const doc = await documentOf(t, 'bounds-a', document_id);
    expect(doc.status).toBe('ready');
    expect(doc.chunk_count).toBeLessThan(50);
  });

  it('a document over RAG_MAX_CHUNKS_PER_DOCUMENT fails saying so, with no chunks stored', async () => {
    const content = Array.from({ length: 200 }, (_, i) => `Paragraph ${i} about vacuum.`).join('\n\n');
    const { document_id, job_id } = await upload(
      t,
      'bounds-b',
      postJson({ title: 'Many', content, chunking: { size: 16, overlap: 0 } }),
    );
    await drain(t);
    const doc = await documentOf(t, 'bounds-b', document_id);
    expect(doc).toMatchObject({ status: 'failed', chunk_count: 0 });
    expect(doc.error).toContain('more than 50 chunks (RAG_MAX_CHUNKS_PER_DOCUMENT)');
    const [job] = rowsOf<{ status: string; attempts: number }>(
      await t.deps.db.execute(sql`select status, attempts from jobs where id = ${job_id}`),
    );
    // Retrying cannot help: dead on the first attempt.
    expect(job).toEqual({ status: 'dead', attempts: 1 });
    expect((await documentStorage(t.deps, 'bounds-b')).chunks).toBe(0);
  });

  it("counts each user's documents, chunks and bytes for quotas", async () => {
    const first = await upload(
      t,
      'bounds-c',
      postJson({ title: 'One', content: 'Checkpoints flush pages.' }),
    );
    const second = await upload(
      t,
      'bounds-c',
      postJson({
        title: 'Two',
        content: 'WAL records changes. '.repeat(100),
        chunking: { size: 64, overlap: 16 },
      }),
    );
    await drain(t);
    const chunks =
      (await documentOf(t, 'bounds-c', first.document_id)).chunk_count +
      (await documentOf(t, 'bounds-c', second.document_id)).chunk_count;
    const storage = await documentStorage(t.deps, 'bounds-c');
    expect(storage).toMatchObject({ documents: 2, chunks });
    expect(storage.contentBytes).toBe(
      'Checkpoints flush pages.'.length + 'WAL records changes. '.repeat(100).trim().length,
    );
    // Each chunk row holds its text, a 384-dimension vector and a full-text vector.
    expect(storage.chunkBytes).toBeGreaterThan(chunks * 384 * 4);
    expect(await documentStorage(t.deps, 'bounds-nobody')).toEqual({
      documents: 0,
      contentBytes: 0,
      chunks: 0,
      chunkBytes: 0,
    });
  });
});

describe.each(databaseKinds)('HTML extracted by the ingestion job on %s', (kind) => {
  const t = useTestApp(kind);

  it('stores the page, answers the upload at once, and indexes its text without markup', async () => {
    const html =
      '<html><head><title>Partial indexes</title><style>p{}</style></head><body><nav>Home</nav>' +
      '<h1>Partial indexes</h1><p>A partial index covers a subset of a table&#39;s rows.</p></body></html>';
    const first = await upload(t, 'html-a', filePost('partial.html', html));
    expect(first.document).toMatchObject({
      title: 'Partial indexes',
      mime_type: 'text/html',
      status: 'queued',
    });
    // The same page again is the same document, even before it is ingested.
    const again = await readBody(
      await t.as('html-a', '/documents', filePost('partial.html', html)),
      uploadDocumentRoute,
      200,
    );
    expect(again).toMatchObject({ document_id: first.document_id, job_id: null });
    await drain(t);
    expect((await documentOf(t, 'html-a', first.document_id)).status).toBe('ready');
    const page = await readBody(
      await t.as('html-a', '/search', postJson({ query: 'partial index subset', mode: 'fulltext' })),
      searchRoute,
      200,
    );
    expect(page.results[0]?.text).toBe("A partial index covers a subset of a table's rows.");
    expect(page.results[0]?.heading_path).toEqual(['Partial indexes']);
  });

  it('a page with no text past the part an upload reads fails in its job, saying why', async () => {
    const empty = `<html><head><title>Hollow</title></head><body>${'<div></div>'.repeat(30_000)}</body></html>`;
    const { document_id } = await upload(t, 'html-b', filePost('hollow.html', empty));
    await drain(t);
    const doc = await documentOf(t, 'html-b', document_id);
    expect(doc).toMatchObject({ status: 'failed', error: 'the document has no text to index' });
    const late = empty.replace('</body>', '<p>Finally some text.</p></body>');
    const found = await upload(t, 'html-b', filePost('late.html', late));
    await drain(t);
    expect((await documentOf(t, 'html-b', found.document_id)).status).toBe('ready');
  });
});
