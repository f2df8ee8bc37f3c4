import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatRequest, LlmClient } from '../../../src/llm/llm-client.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { countTextTokens } from '../../../src/llm/tokens/count-tokens.ts';
import { chatResponseSchema, chatRoute } from '../../../src/rag/chat/chat.routes.ts';
import {
  getConversationRoute,
  listConversationsRoute,
} from '../../../src/rag/conversations/conversations.routes.ts';
import { citationSchema } from '../../../src/rag/rag.schemas.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { ingestPgDocs } from '../../helpers/rag.ts';
import { parseSseEvents } from '../../helpers/sse.ts';
import { useTestApp } from '../../helpers/test-app.ts';

/** The local provider, recording every chat request it answers. */
function recordingLlm(): LlmClient & { requestFor(message: string): ChatRequest | undefined } {
  const local = createLocalClient({ embeddingDimensions: 384 });
  const requests: ChatRequest[] = [];
  return {
    ...local,
    /** The last request whose final message is `message`: this test's, whatever else ran. */
    requestFor: (message: string) => requests.findLast((r) => r.messages.at(-1)?.content === message),
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

// The events a streamed chat sends (chatRoute's description).
const sseEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('delta'), data: z.object({ content: z.string() }) }),
  z.object({ event: z.literal('citations'), data: z.array(citationSchema) }),
  z.object({
    event: z.literal('usage'),
    data: z.object({ input_tokens: z.number(), output_tokens: z.number() }).nullable(),
  }),
  z.object({ event: z.literal('done'), data: chatResponseSchema }),
]);

const parseSse = (text: string) => parseSseEvents(text).map((e) => sseEventSchema.parse(e));

describe.each(databaseKinds)('POST /chat on %s', (kind) => {
  const llm = recordingLlm();
  const t = useTestApp(kind, { env: { RAG_CHAT_CONTEXT_TOKENS: '400' }, llm });
  const chat = (sub: string, body: Record<string, unknown>) => t.as(sub, '/chat', postJson(body));

  it('answers from the retrieved chunks and cites only chunks it was given, within the token budget', async () => {
    const sub = 'chat-grounded-alice';
    await ingestPgDocs(t, sub);
    const message = 'What does TRUNCATE do to the rows of a table?';
    const body = await readBody(await chat(sub, { message }), chatRoute, 200);
    expect(body.grounded).toBe(true);
    expect(body.answer.length).toBeGreaterThan(0);
    // Sentences of the sources, each cited by its id; none of the prompt's markup.
    expect(body.answer).toMatch(/\[\d+\]/);
    expect(body.answer).not.toMatch(/<\/?sources?\b|title=/);
    expect(body.citations.length).toBeGreaterThan(0);
    expect(body.context.tokens).toBeLessThanOrEqual(400);
    expect(body.context.chunks).toBeLessThan(body.context.retrieved);

    const system = llm.requestFor(message)!.messages[0]!.content as string;
    const sources = system.indexOf('<sources>');
    expect(sources).toBeGreaterThan(0);
    expect(await countTextTokens(system.slice(sources))).toBeLessThanOrEqual(400 + 10);
    for (const citation of body.citations) {
      expect(system).toContain(`<source id="${citation.marker}" `);
      expect(citation.marker).toBeLessThanOrEqual(body.context.chunks);
    }
    expect(body.citations.map((c) => c.document_title)).toContain('TRUNCATE');
  });

  it('says so when the documents do not contain the answer, citing nothing', async () => {
    const sub = 'chat-ungrounded-alice';
    await ingestPgDocs(t, sub);
    const body = await readBody(
      await chat(sub, { message: 'Who won the football world cup in 1954?' }),
      chatRoute,
      200,
    );
    expect(body.grounded).toBe(false);
    expect(body.citations).toEqual([]);
    expect(body.answer).toMatch(/does not contain the answer/);
  });

  it('keeps the conversation: a follow-up continues it and both turns are stored', async () => {
    const sub = 'chat-follow-up-alice';
    await ingestPgDocs(t, sub);
    const first = await readBody(await chat(sub, { message: 'What is a partial index?' }), chatRoute, 200);
    // Another conversation, started later: the follow-up makes the first one the most recently active.
    await readBody(await chat(sub, { message: 'What does TRUNCATE do?' }), chatRoute, 200);
    const followUp = 'Which rows does a partial index contain?';
    const second = await readBody(
      await chat(sub, { message: followUp, conversation_id: first.conversation_id }),
      chatRoute,
      200,
    );
    expect(second.conversation_id).toBe(first.conversation_id);
    const history = llm.requestFor(followUp)!.messages.map((m) => m.role);
    expect(history).toEqual(['system', 'user', 'assistant', 'user']);

    const stored = await readBody(
      await t.as(sub, `/conversations/${first.conversation_id}`),
      getConversationRoute,
      200,
    );
    expect(stored.title).toBe('What is a partial index?');
    expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(stored.messages[3]!.citations).toEqual(second.citations);

    const list = await readBody(await t.as(sub, '/conversations?limit=1'), listConversationsRoute, 200);
    expect(list.items[0]!.id).toBe(first.conversation_id);
    expect(list.next_cursor).not.toBeNull();
  });

  it('streams the answer as Server-Sent Events, then citations, usage and the stored result', async () => {
    const sub = 'chat-stream-alice';
    await ingestPgDocs(t, sub);
    const res = await chat(sub, { message: 'What values can the boolean type have?', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names.filter((n) => n === 'delta').length).toBeGreaterThan(1);
    expect(names.slice(-3)).toEqual(['citations', 'usage', 'done']);
    const streamed = events.flatMap((e) => (e.event === 'delta' ? [e.data.content] : [])).join('');
    const done = chatResponseSchema.parse(events.at(-1)!.data);
    expect(done.answer).toBe(streamed);
    expect(events.at(-3)!.data).toEqual(done.citations);
    expect(done.citations.length).toBeGreaterThan(0);
    const stored = await readBody(
      await t.as(sub, `/conversations/${done.conversation_id}`),
      getConversationRoute,
      200,
    );
    expect(stored.messages[1]!.content).toBe(streamed);
  });

  it('streams when the client asks with Accept: text/event-stream', async () => {
    const sub = 'chat-accept-alice';
    await ingestPgDocs(t, sub);
    const res = await t.as(sub, '/chat', postJson({ message: 'boolean' }, { accept: 'text/event-stream' }));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(parseSse(await res.text()).at(-1)!.event).toBe('done');
  });
});
