import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { type FakeOpenAiServer, startFakeOpenAi } from '../../helpers/fake-openai-server.ts';
import { openAiEnv } from '../../helpers/openai-env.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe.each(databaseKinds)('the OpenAI-compatible surface through the openai SDK on %s', (kind) => {
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database.close());

  describe('over the local provider', () => {
    let t: TestApp;
    let server: Awaited<ReturnType<typeof serveApp>>;
    let client: OpenAI;
    beforeAll(async () => {
      t = createTestApp(database, { env: { EMBEDDING_DIMENSIONS: '64' } });
      server = await serveApp(t);
      client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await t.token('sdk-user'), maxRetries: 0 });
    });
    afterAll(() => server.close());

    it('completes a chat, says the model is local and reports cost and overhead headers', async () => {
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
      const ids = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toEqual(['local', 'local-hash-embedding']);
    });

    it('records usage for every /v1 call under the token subject', async () => {
      await client.chat.completions.create({
        model: 'x',
        messages: [{ role: 'user', content: 'hi' }],
        user: 'someone-else',
      });
      const rows = (await storedUsage(t)).filter((r) => r.route?.startsWith('/v1/'));
      expect(rows.length).toBeGreaterThanOrEqual(5);
      expect(new Set(rows.map((r) => r.userId))).toEqual(new Set(['sdk-user']));
      expect(new Set(rows.map((r) => r.operation))).toEqual(new Set(['chat', 'chat_stream', 'embed']));
    });
  });

  describe('proxying an OpenAI-compatible provider', () => {
    let fake: FakeOpenAiServer;
    let t: TestApp;
    let server: Awaited<ReturnType<typeof serveApp>>;
    let client: OpenAI;
    beforeAll(async () => {
      fake = await startFakeOpenAi();
      t = createTestApp(database, { env: openAiEnv(fake.url) });
      server = await serveApp(t);
      client = new OpenAI({
        baseURL: `${server.url}/v1`,
        apiKey: await t.token('proxy-user'),
        maxRetries: 0,
      });
    });
    afterAll(async () => {
      await server.close();
      await fake.close();
    });
    beforeEach(() => {
      fake.requests.length = 0;
    });

    it('forwards the request with cairn credentials and prices the reply', async () => {
      fake.script({
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
      expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test');
      expect(fake.requests[0]?.body).toMatchObject({
        model: 'gpt-4o',
        temperature: 0.2,
        max_completion_tokens: 20,
        stop: ['END'],
        seed: 7,
      });
    });

    it('streams the provider reply with its usage', async () => {
      fake.script({ kind: 'chat', content: 'streamed from upstream', usage: { prompt: 30, completion: 6 } });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe('streamed from upstream');
      expect(usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 6 });
    });

    it('passes embeddings through at the configured dimensions', async () => {
      const result = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'hello there',
      });
      expect(result.data[0]?.embedding).toHaveLength(8);
      expect(fake.requests[0]?.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 8 });
    });
  });
});
