import { describe, expect, it } from 'vitest';
import { listDocumentsRoute, uploadDocumentRoute } from '../../../src/rag/documents/documents.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { drain, filePost, getDocument, pgDoc, queueText, uploadText } from '../../helpers/rag.ts';
import { useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('documents on %s', (kind) => {
  const t = useTestApp(kind);

  it('queues a JSON upload, ingests it and reports it ready with its chunks', async () => {
    const content =
      '# Vacuum\n\nVACUUM reclaims storage occupied by dead tuples.\n\n## Autovacuum\n\nThe autovacuum daemon automates it.';
    const res = await uploadText(t, 'alice', {
      title: 'Vacuuming',
      content,
      metadata: { area: 'maintenance' },
    });
    const body = await readBody(res, uploadDocumentRoute, 202);
    expect(body).toMatchObject({ status: 'queued', document: { title: 'Vacuuming', status: 'queued' } });
    expect(body.job_id).toMatch(/^[0-9a-f-]{36}$/);

    expect(await drain(t)).toBeGreaterThan(0);
    const doc = await getDocument(t, 'alice', body.document_id);
    expect(doc).toMatchObject({
      status: 'ready',
      chunk_count: 2,
      metadata: { area: 'maintenance' },
      progress: { ratio: 1, chunks_total: 2, chunks_embedded: 2 },
      error: null,
    });
  });

  it('returns the existing document for the same content: 200, no job, no new chunks', async () => {
    const content = 'Sequences generate unique identifiers.';
    const first = await queueText(t, 'erin', { title: 'Sequences', content });
    await drain(t);
    const again = await uploadText(t, 'erin', { title: 'Sequences again', content });
    expect(await readBody(again, uploadDocumentRoute, 200)).toMatchObject({
      document_id: first.document_id,
      job_id: null,
      status: 'ready',
    });
    expect(await drain(t)).toBe(0);
  });

  it('ingests an uploaded HTML page of the manual, titled from <title>, with heading paths', async () => {
    const res = await t.as(
      'bob',
      '/documents',
      filePost('indexes-partial.html', pgDoc('indexes-partial.html')),
    );
    const { document_id } = await readBody(res, uploadDocumentRoute, 202);
    await drain(t);
    const doc = await getDocument(t, 'bob', document_id);
    expect(doc).toMatchObject({
      title: '11.8. Partial Indexes',
      source: 'indexes-partial.html',
      mime_type: 'text/html',
    });
    expect(doc.status).toBe('ready');
    expect(doc.chunk_count).toBeGreaterThan(1);
  });

  it('lists documents newest first, page by page, without repeats', async () => {
    for (const n of [1, 2, 3])
      await uploadText(t, 'carol', { title: `Note ${n}`, content: `Note number ${n}.` });
    const first = await readBody(await t.as('carol', '/documents?limit=2'), listDocumentsRoute, 200);
    expect(first.items.map((d) => d.title)).toEqual(['Note 3', 'Note 2']);
    const second = await readBody(
      await t.as('carol', `/documents?limit=2&cursor=${first.next_cursor}`),
      listDocumentsRoute,
      200,
    );
    expect(second.items.map((d) => d.title)).toEqual(['Note 1']);
    expect(second.next_cursor).toBeNull();
  });

  it('deletes a document with its chunks', async () => {
    const { document_id } = await queueText(t, 'dave', { title: 'Gone', content: 'Soon deleted.' });
    await drain(t);
    const del = await t.as('dave', `/documents/${document_id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await t.as('dave', `/documents/${document_id}`)).status).toBe(404);
  });
});
