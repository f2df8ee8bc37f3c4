import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { drain, uploadText } from '../../helpers/rag.ts';
import { createTestApp, expectProblem, readJson, type TestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)("another user's data is never visible on %s", (kind) => {
  let database: DatabaseHandle;
  let t: TestApp;
  let mallorysDoc: string;
  let mallorysConversation: string;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    t = createTestApp(database);
    mallorysDoc = (
      await readJson(
        await uploadText(t, 'mallory', {
          title: 'Secret plans',
          content: 'The vault code is 4711 behind the tapestry.',
        }),
      )
    ).document_id;
    await uploadText(t, 'alice', {
      title: 'Alice notes',
      content: 'The vault in the manual means a backup archive.',
    });
    await drain(t);
    mallorysConversation = (
      await readJson(await t.as('mallory', '/chat', postJson({ message: 'What is the vault code?' })))
    ).conversation_id;
  });
  afterAll(() => database.close());

  it('documents: 404 to read or delete, absent from lists', async () => {
    await expectProblem(await t.as('alice', `/documents/${mallorysDoc}`), 404);
    await expectProblem(await t.as('alice', `/documents/${mallorysDoc}`, { method: 'DELETE' }), 404);
    const list = await readJson(await t.as('alice', '/documents'));
    expect(list.items.map((d: { title: string }) => d.title)).toEqual(['Alice notes']);
    expect((await t.as('mallory', `/documents/${mallorysDoc}`)).status).toBe(200);
  });

  it('search in every mode, and filtering by the other user’s document id, returns only own chunks', async () => {
    for (const mode of ['vector', 'fulltext', 'hybrid']) {
      const page = await readJson(
        await t.as('alice', '/search', postJson({ query: 'vault code tapestry', mode, top_k: 50 })),
      );
      expect(page.results.every((r: { document_title: string }) => r.document_title === 'Alice notes')).toBe(
        true,
      );
      const targeted = await readJson(
        await t.as(
          'alice',
          '/search',
          postJson({ query: 'vault', mode, filters: { document_ids: [mallorysDoc] } }),
        ),
      );
      expect(targeted.results).toEqual([]);
    }
  });

  it('chat never cites or answers from them', async () => {
    const body = await readJson(
      await t.as('alice', '/chat', postJson({ message: 'What is the vault code behind the tapestry?' })),
    );
    expect(body.answer).not.toContain('4711');
    expect(body.citations.every((c: { document_id: string }) => c.document_id !== mallorysDoc)).toBe(true);
  });

  it('conversations: 404 to read or continue, absent from lists', async () => {
    await expectProblem(await t.as('alice', `/conversations/${mallorysConversation}`), 404);
    await expectProblem(
      await t.as('alice', '/chat', postJson({ message: 'and then?', conversation_id: mallorysConversation })),
      404,
    );
    const ids = (await readJson(await t.as('alice', '/conversations'))).items.map(
      (c: { id: string }) => c.id,
    );
    expect(ids).not.toContain(mallorysConversation);
  });

  it('every RAG route needs a token', async () => {
    for (const [method, path] of [
      ['GET', '/documents'],
      ['POST', '/documents'],
      ['GET', `/documents/${mallorysDoc}`],
      ['DELETE', `/documents/${mallorysDoc}`],
      ['POST', '/search'],
      ['POST', '/chat'],
      ['GET', '/conversations'],
      ['GET', `/conversations/${mallorysConversation}`],
      ['GET', '/admin/index/versions'],
    ] as const) {
      await expectProblem(await t.request(path, { method }), 401);
    }
  });
});
