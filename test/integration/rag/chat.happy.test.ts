import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest, LlmClient } from '../../../src/llm/llm-client.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { countTextTokens } from '../../../src/llm/tokens/count-tokens.ts';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { drain, filePost, PG_DOC_FIXTURES, pgDoc } from '../../helpers/rag.ts';
import { createTestApp, readJson, type TestApp } from '../../helpers/test-app.ts';

/** The local provider, recording every chat request it answers. */
function recordingLlm(): LlmClient & { requests: ChatRequest[] } {
  const local = createLocalClient({ embeddingDimensions: 384 });
  const requests: ChatRequest[] = [];
  return {
    ...local,
    requests,
    chat: (request) => {
      requests.push(request);
      return local.chat(request);
    },
    chatStream: (request) => {
      requests.push(request);
      return local.chatStream(request);
    },
  };
}

function parseSse(text: string) {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}

describe.each(databaseKinds)('POST /chat on %s', (kind) => {
  let database: DatabaseHandle;
  let t: TestApp;
  let llm: ReturnType<typeof recordingLlm>;
  const chat = (body: Record<string, unknown>, sub = 'alice') => t.as(sub, '/chat', postJson(body));

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    llm = recordingLlm();
    t = createTestApp(database, { env: { RAG_CHAT_CONTEXT_TOKENS: '400' }, llm });
    for (const name of PG_DOC_FIXTURES) await t.as('alice', '/documents', filePost(name, pgDoc(name)));
    await drain(t);
  });
  afterAll(() => database.close());

  it('answers from the retrieved chunks and cites only chunks it was given, within the token budget', async () => {
    const res = await chat({ message: 'What does TRUNCATE do to the rows of a table?' });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.grounded).toBe(true);
    expect(body.answer.length).toBeGreaterThan(0);
    expect(body.citations.length).toBeGreaterThan(0);
    expect(body.context.tokens).toBeLessThanOrEqual(400);
    expect(body.context.chunks).toBeLessThan(body.context.retrieved);

    const system = llm.requests.at(-1)!.messages[0]!.content as string;
    const sources = system.slice(system.indexOf('Sources:'));
    expect(await countTextTokens(sources)).toBeLessThanOrEqual(400 + 10);
    for (const citation of body.citations) {
      expect(system).toContain(`[${citation.marker}] `);
      expect(citation.marker).toBeLessThanOrEqual(body.context.chunks);
    }
    expect(body.citations.map((c: { document_title: string }) => c.document_title)).toContain('TRUNCATE');
  });

  it('says so when the documents do not contain the answer, citing nothing', async () => {
    const body = await readJson(await chat({ message: 'Who won the football world cup in 1954?' }));
    expect(body.grounded).toBe(false);
    expect(body.citations).toEqual([]);
    expect(body.answer).toMatch(/does not contain the answer/);
  });

  it('keeps the conversation: a follow-up continues it and both turns are stored', async () => {
    const first = await readJson(await chat({ message: 'What is a partial index?' }));
    const second = await readJson(
      await chat({
        message: 'Which rows does a partial index contain?',
        conversation_id: first.conversation_id,
      }),
    );
    expect(second.conversation_id).toBe(first.conversation_id);
    const history = llm.requests.at(-1)!.messages.map((m) => m.role);
    expect(history).toEqual(['system', 'user', 'assistant', 'user']);

    const stored = await readJson(await t.as('alice', `/conversations/${first.conversation_id}`));
    expect(stored.title).toBe('What is a partial index?');
    expect(stored.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(stored.messages[3].citations).toEqual(second.citations);

    const list = await readJson(await t.as('alice', '/conversations?limit=1'));
    expect(list.items[0].id).toBe(first.conversation_id);
    expect(list.next_cursor).not.toBeNull();
  });

  it('streams the answer as Server-Sent Events, then citations, usage and the stored result', async () => {
    const res = await chat({ message: 'What values can the boolean type have?', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names.filter((n) => n === 'delta').length).toBeGreaterThan(1);
    expect(names.slice(-3)).toEqual(['citations', 'usage', 'done']);
    const streamed = events
      .filter((e) => e.event === 'delta')
      .map((e) => e.data.content)
      .join('');
    const done = events.at(-1)!.data;
    expect(done.answer).toBe(streamed);
    expect(events.at(-3)!.data).toEqual(done.citations);
    expect(done.citations.length).toBeGreaterThan(0);
    const stored = await readJson(await t.as('alice', `/conversations/${done.conversation_id}`));
    expect(stored.messages[1].content).toBe(streamed);
  });

  it('streams when the client asks with Accept: text/event-stream', async () => {
    const res = await t.as(
      'alice',
      '/chat',
      postJson({ message: 'boolean' }, { accept: 'text/event-stream' }),
    );
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(parseSse(await res.text()).at(-1)!.event).toBe('done');
  });
});
