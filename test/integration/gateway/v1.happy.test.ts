import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** Serves the app for the enclosing describe block; `sdk(sub)` is an openai client acting as `sub`. */
function useSdk(t: TestApp) {
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());
  return async (sub: string) =>
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await t.token(sub), maxRetries: 0 });
}

describe.each(databaseKinds)('the OpenAI-compatible surface through the openai SDK on %s', (kind) => {
  describe('over the local provider', () => {
    const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });
    const sdk = useSdk(t);

    it('completes a chat, says the model is local and reports cost and overhead headers', async () => {
      const client = await sdk('sdk-chat');
      const { data, response } = await client.chat.completions
        .create({
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'Cairn stores vectors in PostgreSQL with pgvector.' },
            { role: 'user', content: 'Where does cairn store vectors?' },
          ],
        })
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.model).toBe('local');
      expect(data.choices[0]?.message.content).toContain('pgvector');
      expect(data.choices[0]?.finish_reason).toBe('stop');
      expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage?.total_tokens).toBe(
        (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
      );
      expect(response.headers.get('x-cairn-cost-usd')).toBe('0');
      expect(Number(response.headers.get('x-cairn-overhead-ms'))).toBeGreaterThanOrEqual(0);
      expect(response.headers.get('x-request-id')).toBeTruthy();
    });

    it('streams chunks as Server-Sent Events, ending with the usage chunk when asked', async () => {
      const client = await sdk('sdk-stream');
      const stream = await client.chat.completions.create({
        model: 'anything',
        messages: [
          { role: 'system', content: 'The HNSW index makes vector search fast.' },
          { role: 'user', content: 'What makes vector search fast?' },
        ],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      const chunks = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
        text += chunk.choices[0]?.delta.content ?? '';
      }
      expect(text).toContain('HNSW');
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
      expect(chunks.every((c) => c.model === 'local')).toBe(true);
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.at(-1)?.choices).toEqual([]);
      expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('calls tools chosen by rule', async () => {
      const client = await sdk('sdk-tools');
      const completion = await client.chat.completions.create({
        model: 'local',
        messages: [{ role: 'user', content: 'What is the weather in Lisbon?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather for a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
            },
          },
        ],
      });
      const call = completion.choices[0]?.message.tool_calls?.[0];
      expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Lisbon' });
    });

    it('answers JSON for a json_schema response format', async () => {
      const client = await sdk('sdk-json');
      const completion = await client.chat.completions.create({
        model: 'local',
        messages: [{ role: 'user', content: 'I love this phone, the battery is excellent.' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'review',
            schema: {
              type: 'object',
              properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] } },
              required: ['sentiment'],
            },
          },
        },
      });
      expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ sentiment: 'positive' });
    });

    it('embeds as floats and as base64, with similar texts closer', async () => {
      const client = await sdk('sdk-embed');
      const texts = ['postgres vector index', 'postgres vector indexes', 'banana bread recipe'];
      const base64 = await client.embeddings.create({ model: 'local', input: texts });
      const floats = await client.embeddings.create({
        model: 'local',
        input: texts,
        encoding_format: 'float',
      });
      expect(base64.data).toHaveLength(3);
      const [a, b, c] = base64.data.map((d) => d.embedding);
      expect(a).toHaveLength(64);
      expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!));
      for (const [i, d] of floats.data.entries()) {
        expect(d.embedding.map((x) => Math.fround(x))).toEqual(base64.data[i]?.embedding);
      }
      expect(base64.usage.prompt_tokens).toBeGreaterThan(0);
    });

    it('lists the provider models', async () => {
      const client = await sdk('sdk-models');
      const ids = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toEqual(['local', 'local-hash-embedding']);
    });

    it('records usage for every /v1 call under the token subject', async () => {
      const client = await sdk('sdk-usage');
      const withId = (requestId: string) => ({ headers: { 'X-Request-Id': `sdk-usage-${requestId}` } });
      const messages = [{ role: 'user' as const, content: 'hi' }];
      await client.chat.completions.create({ model: 'x', messages, user: 'someone-else' }, withId('chat'));
      const stream = await client.chat.completions.create(
        { model: 'x', messages, user: 'someone-else', stream: true },
        withId('stream'),
      );
      let chunks = 0;
      for await (const _chunk of stream) chunks++;
      expect(chunks).toBeGreaterThan(0);
      await client.embeddings.create(
        { model: 'local', input: ['hi', 'there'], user: 'someone-else' },
        withId('embed'),
      );
      const rows = (await storedUsage(t)).filter((r) => r.requestId?.startsWith('sdk-usage-'));
      expect(rows).toHaveLength(3);
      expect(rows.map((r) => [r.requestId, r.route, r.operation])).toEqual(
        expect.arrayContaining([
          ['sdk-usage-chat', '/v1/chat/completions', 'chat'],
          ['sdk-usage-stream', '/v1/chat/completions', 'chat_stream'],
          ['sdk-usage-embed', '/v1/embeddings', 'embed'],
        ]),
      );
      expect(new Set(rows.map((r) => r.userId))).toEqual(new Set(['sdk-usage']));
    });
  });

  describe('proxying an OpenAI-compatible provider', () => {
    const t = useTestApp(kind, { openai: true });
    const sdk = useSdk(t);

    it('forwards the request with cairn credentials and prices the reply', async () => {
      const client = await sdk('proxy-chat');
      t.openai.script({
        kind: 'chat',
        content: 'from upstream',
        model: 'gpt-4o-2024-08-06',
        usage: { prompt: 100, completion: 50 },
      });
      const { data, response } = await client.chat.completions
        .create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
          temperature: 0.2,
          max_tokens: 20,
          stop: 'END',
          seed: 7,
        })
        .withResponse();
      expect(data.choices[0]?.message.content).toBe('from upstream');
      expect(data.model).toBe('gpt-4o-2024-08-06');
      expect(data.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 });
      expect(Number(response.headers.get('x-cairn-cost-usd'))).toBeCloseTo((100 * 2.5 + 50 * 10) / 1e6, 10);
      expect(t.openai.requests[0]?.headers.authorization).toBe('Bearer sk-test');
      expect(t.openai.requests[0]?.body).toMatchObject({
        model: 'gpt-4o',
        temperature: 0.2,
        max_completion_tokens: 20,
        stop: ['END'],
        seed: 7,
      });
    });

    it('streams the provider reply with its usage', async () => {
      const client = await sdk('proxy-stream');
      t.openai.script({
        kind: 'chat',
        content: 'streamed from upstream',
        usage: { prompt: 30, completion: 6 },
      });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const pieces: string[] = [];
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
        usage = chunk.usage ?? usage;
      }
      // One chunk out per chunk the upstream sent (it sends 8 characters each), even when they
      // reach cairn together.
      expect(pieces).toEqual(['streamed', ' from up', 'stream']);
      expect(usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 6 });
    });

    it('passes embeddings through at the configured dimensions', async () => {
      const client = await sdk('proxy-embed');
      const result = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'hello there',
      });
      expect(result.data[0]?.embedding).toHaveLength(8);
      expect(t.openai.requests[0]?.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 8 });
    });
  });
});
