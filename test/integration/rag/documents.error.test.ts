import { describe, expect, it } from 'vitest';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { postJson } from '../../helpers/json-request.ts';
import { filePost, uploadText } from '../../helpers/rag.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe('POST /documents rejects what it cannot ingest', () => {
  const t = useTestApp('pglite', { env: { DOCUMENT_MAX_BYTES: '4096', BODY_LIMIT_BYTES: '2048' } });
  const post = (sub: string, init: RequestInit) => t.as(sub, '/documents', init);

  it('415 for a file type it does not read, and for a body that is neither JSON nor multipart', async () => {
    const sub = 'documents-415-alice';
    const body = await expectProblem(await post(sub, filePost('report.pdf', '%PDF-1.7 ...')), 415);
    expect(body.detail).toContain('report.pdf');
    await expectProblem(
      await post(sub, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      415,
    );
  });

  it('413 beyond DOCUMENT_MAX_BYTES, which may exceed the general body limit', async () => {
    const sub = 'documents-413-alice';
    expect((await post(sub, filePost('fits.txt', 'x '.repeat(1500)))).status).toBe(202);
    await expectProblem(await post(sub, filePost('big.txt', 'x'.repeat(5000))), 413);
    await expectProblem(await t.as(sub, '/search', postJson({ query: 'x'.repeat(3000) })), 413);
  });

  it('422 for empty or undecodable content', async () => {
    const sub = 'documents-422-content-alice';
    const empty = await expectProblem(await post(sub, filePost('empty.md', '  \n\n ')), 422);
    expect(empty.errors?.[0]?.pointer).toBe('/body/file');
    await expectProblem(
      await post(sub, filePost('scripts.html', '<html><script>alert(1)</script></html>')),
      422,
    );
    await expectProblem(
      await post(sub, filePost('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]))),
      422,
    );
    await expectProblem(await post(sub, filePost('binary.txt', new Uint8Array([0x68, 0x00, 0x69]))), 422);
    const blank = await expectProblem(await uploadText(t, sub, { title: 'Blank', content: ' \n ' }), 422);
    expect(blank.errors?.[0]?.pointer).toBe('/body/content');
  });

  it('422 when the chunk overlap is not smaller than the chunk size; 400 outside the bounds', async () => {
    const sub = 'documents-422-chunking-alice';
    const res = await uploadText(t, sub, {
      title: 'T',
      content: 'Text.',
      chunking: { size: 100, overlap: 100 },
    });
    expect((await expectProblem(res, 422)).errors?.[0]?.pointer).toBe('/body/chunking/overlap');
    await expectProblem(
      await post(sub, filePost('a.txt', 'Text.', { chunk_size: '64', chunk_overlap: '64' })),
      422,
    );
    await expectProblem(
      await uploadText(t, sub, { title: 'T', content: 'Text.', chunking: { size: 5 } }),
      400,
    );
    await expectProblem(await post(sub, filePost('a.txt', 'Text.', { chunk_size: 'lots' })), 400);
    // The form fields are integers, as the OpenAPI document says.
    await expectProblem(await post(sub, filePost('a.txt', 'Text.', { chunk_size: '64.5' })), 400);
  });

  it('400 for missing or malformed fields, with JSON pointers', async () => {
    const sub = 'documents-400-fields-alice';
    const missing = await expectProblem(await post(sub, postJson({ content: 'No title.' })), 400);
    expect(missing.errors?.map((e) => e.pointer)).toContain('/body/title');
    await expectProblem(
      await uploadText(t, sub, { title: 'T', content: 'x', metadata: { nested: { a: 1 } } }),
      400,
    );
    const meta = await expectProblem(
      await post(sub, filePost('a.txt', 'Text.', { metadata: '{not json' })),
      400,
    );
    expect(meta.errors?.[0]?.pointer).toBe('/body/metadata');
    await expectProblem(await post(sub, filePost('a.txt', 'Text.', { metadata: '[1,2]' })), 400);
    await expectProblem(await post(sub, { method: 'POST', body: new FormData() }), 400);
  });

  it('400 for a bad list cursor or status, 404 for an unknown document', async () => {
    const sub = 'documents-400-list-alice';
    await expectProblem(await t.as(sub, '/documents?cursor=bm9wZQ'), 400);
    await expectProblem(await t.as(sub, '/documents?status=sleeping'), 400);
    await expectProblem(await t.as(sub, '/documents/7d1f7a3c-2a59-4ef3-9d0e-0c1c6f1d2b11'), 404);
    await expectProblem(await t.as(sub, '/documents/not-a-uuid'), 400);
  });

  it('400 at /query/cursor for a list cursor this API never issued, before it reaches SQL', async () => {
    const sub = 'documents-400-cursor-alice';
    for (const cursor of Object.values(CRAFTED_LIST_CURSORS)) {
      const problem = await expectProblem(
        await t.as(sub, `/documents?cursor=${encodeURIComponent(cursor)}`),
        400,
      );
      expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
    }
  });
});
