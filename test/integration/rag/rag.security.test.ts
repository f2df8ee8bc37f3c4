import { beforeAll, describe, expect, it } from 'vitest';
import { chatRoute } from '../../../src/rag/chat/chat.routes.ts';
import { listConversationsRoute } from '../../../src/rag/conversations/conversations.routes.ts';
import { listDocumentsRoute } from '../../../src/rag/documents/documents.routes.ts';
import { searchRoute } from '../../../src/rag/search/search.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, queueText, uploadText } from '../../helpers/rag.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)("another user's data is never visible on %s", (kind) => {
  const t = useTestApp(kind);
  let mallorysDoc: string;
  let mallorysConversation: string;

  // One scenario for every test: mallory's rows are what alice must never see. No test changes
  // them, and alice's own rows only grow by the conversations her chats start.
  beforeAll(async () => {
    mallorysDoc = (
      await queueText(t, 'mallory', {
        title: 'Secret plans',
        content: 'The vault code is 4711 behind the tapestry.',
      })
    ).document_id;
    await uploadText(t, 'alice', {
      title: 'Alice notes',
      content: 'The vault in the manual means a backup archive.',
    });
    await drain(t);
    mallorysConversation = (
      await readBody(
        await t.as('mallory', '/chat', postJson({ message: 'What is the vault code?' })),
        chatRoute,
        200,
      )
    ).conversation_id;
  });

  it('documents: 404 to read or delete, absent from lists', async () => {
    await expectProblem(await t.as('alice', `/documents/${mallorysDoc}`), 404);
    await expectProblem(await t.as('alice', `/documents/${mallorysDoc}`, { method: 'DELETE' }), 404);
    const list = await readBody(await t.as('alice', '/documents'), listDocumentsRoute, 200);
    expect(list.items.map((d) => d.title)).toEqual(['Alice notes']);
    expect((await t.as('mallory', `/documents/${mallorysDoc}`)).status).toBe(200);
  });

  it('search in every mode, and filtering by the other user’s document id, returns only own chunks', async () => {
    for (const mode of ['vector', 'fulltext', 'hybrid']) {
      const page = await readBody(
        await t.as('alice', '/search', postJson({ query: 'vault code tapestry', mode, top_k: 50 })),
        searchRoute,
        200,
      );
      expect(page.results.every((r) => r.document_title === 'Alice notes')).toBe(true);
      const targeted = await readBody(
        await t.as(
          'alice',
          '/search',
          postJson({ query: 'vault', mode, filters: { document_ids: [mallorysDoc] } }),
        ),
        searchRoute,
        200,
      );
      expect(targeted.results).toEqual([]);
    }
  });

  it('chat never cites or answers from them', async () => {
    const body = await readBody(
      await t.as('alice', '/chat', postJson({ message: 'What is the vault code behind the tapestry?' })),
      chatRoute,
      200,
    );
    expect(body.answer).not.toContain('4711');
    expect(body.citations.every((c) => c.document_id !== mallorysDoc)).toBe(true);
  });

  it('conversations: 404 to read or continue, absent from lists', async () => {
    await expectProblem(await t.as('alice', `/conversations/${mallorysConversation}`), 404);
    await expectProblem(
      await t.as('alice', '/chat', postJson({ message: 'and then?', conversation_id: mallorysConversation })),
      404,
    );
    const ids = (
      await readBody(await t.as('alice', '/conversations'), listConversationsRoute, 200)
    ).items.map((c) => c.id);
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
