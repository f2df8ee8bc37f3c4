import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../src/llm/llm-client.ts';
import { LlmError } from '../../src/llm/llm-error.ts';
import { type ChatTransport, fetchChatTransport } from '../../src/llm/openai/chat-transport.ts';
import { createChatHttp } from '../../src/llm/openai/openai-chat-http.ts';
import { createUndiciChatTransport } from '../../src/node/undici-chat-transport.ts';
import { type FakeOpenAiServer, startFakeOpenAi } from '../helpers/fake-openai-server.ts';

// The chat client over each transport it can be given: the runtime's fetch (Workers, tests) and
// undici's pooled request (the Node entry). Both must turn every reply and failure into the same
// results and LlmErrors.
const transports: [string, () => ChatTransport][] = [
  ['fetch', () => fetchChatTransport],
  ['undici', createUndiciChatTransport],
];

const hi = [{ role: 'user' as const, content: 'hi' }];

async function collect(stream: AsyncIterable<ChatStreamEvent>) {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const failure = (work: Promise<unknown>) =>
  work.then(
    () => expect.unreachable('the call should fail'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(LlmError);
      return error as LlmError;
    },
  );

describe.each(transports)('the chat client over %s', (_name, transport) => {
  let server: FakeOpenAiServer;
  let client: ReturnType<typeof createChatHttp>;
  beforeAll(async () => {
    server = await startFakeOpenAi({});
    client = createChatHttp({ apiKey: 'k', baseURL: server.url, transport: transport() });
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  it('sends the request with the key and reads a whole reply with its usage', async () => {
    server.script({ kind: 'chat', content: 'hello', usage: { prompt: 7, completion: 2, cached: 3 } });
    const reply = await client.chat({ messages: hi }, 'gpt-4o-mini');
    expect(reply).toMatchObject({
      content: 'hello',
      finishReason: 'stop',
      usage: { inputTokens: 7, outputTokens: 2, cachedInputTokens: 3 },
    });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer k');
    expect(server.requests[0]?.body).toMatchObject({ model: 'gpt-4o-mini', stream: false });
  });

  it('streams the deltas, then the finish and the usage of the last chunk, again and again', async () => {
    for (let i = 0; i < 3; i++) {
      server.script({ kind: 'chat', content: 'one two three', usage: { prompt: 5, completion: 3 } });
      const events = await collect(client.chatStream({ messages: hi }, 'gpt-4o-mini'));
      const text = events.map((e) => (e.type === 'delta' ? e.content : '')).join('');
      expect(text).toBe('one two three');
      expect(events.at(-1)).toMatchObject({
        type: 'done',
        finishReason: 'stop',
        usage: { inputTokens: 5, outputTokens: 3 },
      });
    }
    expect(server.requests.at(-1)?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('maps an error status with its message and Retry-After', async () => {
    server.script({ kind: 'status', status: 429, message: 'slow down', retryAfter: '2' });
    const error = await failure(client.chat({ messages: hi }, 'gpt-4o-mini'));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(2000);
    expect(error.message).toContain('slow down');
  });

  it('fails a stream that breaks off mid-answer', async () => {
    server.script({
      kind: 'chat',
      content: 'this answer breaks off after the first piece',
      cutAfterChunks: 1,
    });
    const error = await failure(collect(client.chatStream({ messages: hi }, 'gpt-4o-mini')));
    expect(['connection', 'upstream_error']).toContain(error.kind);
  });

  it('reports an aborted call as aborted', async () => {
    server.script({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client.chat({ messages: hi, signal: controller.signal }, 'gpt-4o-mini'));
    expect(error.kind).toBe('aborted');
  });

  it('reports a server it cannot reach', async () => {
    const unreachable = createChatHttp({ baseURL: 'http://127.0.0.1:9/v1', transport: transport() });
    const error = await failure(unreachable.chat({ messages: hi }, 'gpt-4o-mini'));
    expect(error.kind).toBe('connection');
  });
});
