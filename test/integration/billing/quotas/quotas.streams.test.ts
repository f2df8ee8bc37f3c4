import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmClient } from '../../../../src/llm/llm-client.ts';
import { createLocalClient } from '../../../../src/llm/local/local-client.ts';
import { getUsageRoute } from '../../../../src/usage/usage.routes.ts';
import { userOnPlan } from '../../../helpers/billing.ts';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson, readBody } from '../../../helpers/json-request.ts';
import { openAiEnv } from '../../../helpers/openai-env.ts';
import { ingestPgDocs } from '../../../helpers/rag.ts';
import { serveApp } from '../../../helpers/serve-app.ts';
import { parseSseEvents } from '../../../helpers/sse.ts';
import { createTestApp, type TestApp, useTestApp, useTestDatabase } from '../../../helpers/test-app.ts';
import { storedUsage } from '../../../helpers/usage-rows.ts';

// Streams settle after their last event, with what their model calls reported or, cut short, what
// they produced: never with the estimate, and never leaving a reservation behind.

async function quotasOf(t: TestApp, user: string) {
  const usage = await readBody(await t.as(user, '/usage'), getUsageRoute, 200);
  const find = (quota: string) => usage.quotas.find((q) => q.quota === quota)!;
  return {
    requests: find('model_requests_per_day'),
    tokens: find('tokens_per_month'),
    cost: find('cost_usd_per_month'),
  };
}

/** The tokens and cost of the user's stored usage events: what the model calls were billed. */
async function billed(t: TestApp, user: string) {
  const rows = (await storedUsage(t)).filter((r) => r.userId === user);
  return {
    calls: rows.length,
    tokens: rows.reduce((sum, r) => sum + r.tokensIn + r.tokensOut, 0),
    costUsd: rows.reduce((sum, r) => sum + Number(r.costUsd), 0),
    statuses: rows.map((r) => r.status),
  };
}

/** Serves the app over HTTP for the enclosing block; `sdk(sub)` is an openai client acting as `sub`. */
function useServer(t: TestApp) {
  const server = {} as Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    Object.assign(server, await serveApp(t));
  });
  afterAll(() => server.close());
  return {
    url: () => server.url,
    sdk: async (sub: string) =>
      new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await t.token(sub), maxRetries: 0 }),
  };
}

/** Reads a streamed response until its text contains `marker`; `reader.cancel()` then hangs up. */
async function readUntil(res: Response, marker: string) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(marker)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before "${marker}": ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return reader;
}

/**
 * An OpenAI-compatible upstream that streams a few chunks and then keeps generating forever (it
 * sends nothing more until the caller hangs up): the model is still busy when the client leaves.
 */
async function startEndlessUpstream() {
  const open = new Set<ServerResponse>();
  let closed = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: Record<string, unknown>) =>
        `data: ${JSON.stringify({
          id: 'chatcmpl-endless',
          object: 'chat.completion.chunk',
          created: 1_700_000_000,
          model: 'gpt-4o-mini',
          choices: [{ index: 0, delta, finish_reason: null, logprobs: null }],
        })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }));
      for (const word of ['Partial ', 'indexes ', 'cover ', 'some ', 'rows '])
        res.write(chunk({ content: word }));
      open.add(res);
      res.on('close', () => {
        open.delete(res);
        closed++;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    /** Streams the upstream answered and that have since been closed (by cairn cancelling them). */
    closed: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The local provider answering its streams slowly: `delayMs` before each word, as a model writes. */
function slowLocal(delayMs: number): LlmClient {
  const local = createLocalClient({ embeddingDimensions: 384 });
  return {
    ...local,
    async *chatStream(request) {
      for await (const event of local.chatStream(request)) {
        if (event.type === 'delta') await new Promise((resolve) => setTimeout(resolve, delayMs));
        yield event;
      }
    },
  };
}

const messages = [{ role: 'user' as const, content: 'Tell me about partial indexes.' }];

describe.each(databaseKinds)('usage quotas of streamed requests on %s', (kind) => {
  describe('/v1/chat/completions streams through the openai SDK (fake OpenAI upstream)', () => {
    const t = useTestApp(kind, { openai: true });
    const { sdk } = useServer(t);

    it('settles with the tokens and cost the stream reported, not the estimate', async () => {
      await userOnPlan(t.deps.db, 'st-usage', { model_requests_per_day: 5, tokens_per_month: 100_000 });
      t.openai.script({
        kind: 'chat',
        content: 'Partial indexes cover some rows.',
        usage: { prompt: 30, completion: 6 },
      });
      const client = await sdk('st-usage');
      // max_tokens 900: the reservation holds ~910 tokens, the stream reports 36.
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        max_tokens: 900,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) usage = chunk.usage ?? usage;
      expect(usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 6, total_tokens: 36 });

      const quotas = await quotasOf(t, 'st-usage');
      expect(quotas.requests).toMatchObject({ limit: 5, used: 1, reserved: 0, remaining: 4 });
      expect(quotas.tokens).toMatchObject({ limit: 100_000, used: 36, reserved: 0, remaining: 100_000 - 36 });
      // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
      expect(quotas.cost.used).toBeCloseTo((30 * 0.15 + 6 * 0.6) / 1e6, 12);
      expect(quotas.cost.reserved).toBe(0);
    });

    it('counts a stream toward the daily requests, then refuses the next one before it opens', async () => {
      await userOnPlan(t.deps.db, 'st-limit', { model_requests_per_day: 1 });
      const client = await sdk('st-limit');
      const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      for await (const _ of first);
      const upstreamCalls = t.openai.requests.length;
      const refused = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages, stream: true })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
      // Refused before the work: the upstream never saw the second request.
      expect(t.openai.requests).toHaveLength(upstreamCalls);
      expect((await quotasOf(t, 'st-limit')).requests).toMatchObject({ used: 1, reserved: 0, remaining: 0 });
    });

    it('releases the reservation of a stream the upstream cuts mid-way, charging what it produced', async () => {
      await userOnPlan(t.deps.db, 'st-cut', { model_requests_per_day: 5, tokens_per_month: 100_000 });
      t.openai.script({
        kind: 'chat',
        content: 'Partial indexes cover only the rows that match their predicate.',
        cutAfterChunks: 2,
      });
      const client = await sdk('st-cut');
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        max_tokens: 900,
        stream: true,
        stream_options: { include_usage: true },
      });
      const failure = await (async () => {
        for await (const _ of stream);
      })().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.APIError);

      const quotas = await quotasOf(t, 'st-cut');
      const spent = await billed(t, 'st-cut');
      expect(spent.calls).toBe(1);
      expect(spent.tokens).toBeGreaterThan(0);
      expect(quotas.tokens).toMatchObject({ used: spent.tokens, reserved: 0 });
      expect(spent.tokens).toBeLessThan(900);
      expect(quotas.requests).toMatchObject({ used: 1, reserved: 0 });
    });
  });

  describe('a client that hangs up while the model is still streaming', () => {
    const database = useTestDatabase(kind);
    let upstream: Awaited<ReturnType<typeof startEndlessUpstream>>;
    const t = {} as TestApp;
    beforeAll(async () => {
      upstream = await startEndlessUpstream();
      // A long stream deadline: only the hang-up may end the upstream call within the test.
      Object.assign(
        t,
        createTestApp(database, { env: openAiEnv(upstream.url, { LLM_TIMEOUT_MS: '60000' }) }),
      );
    });
    afterAll(() => upstream?.close());
    const server = useServer(t);

    it('holds the reservation while streaming, then releases it and charges what was streamed', async () => {
      await userOnPlan(t.deps.db, 'st-gone', { model_requests_per_day: 5, tokens_per_month: 100_000 });
      const res = await fetch(`${server.url()}/v1/chat/completions`, {
        ...postJson({ model: 'gpt-4o-mini', messages, max_tokens: 900, stream: true }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await t.token('st-gone')}` },
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('rows')) text += decoder.decode((await reader.read()).value, { stream: true });

      // Mid-stream: the request and its estimate are held.
      const during = await quotasOf(t, 'st-gone');
      expect(during.requests).toMatchObject({ used: 0, reserved: 1 });
      expect(during.tokens.used).toBe(0);
      expect(during.tokens.reserved).toBeGreaterThan(900);

      await reader.cancel();
      // The hang-up reaches the upstream call, which is billed for the words it streamed.
      await expect.poll(() => upstream.closed(), { timeout: 5_000 }).toBe(1);
      await expect
        .poll(async () => (await quotasOf(t, 'st-gone')).tokens.reserved, { timeout: 5_000 })
        .toBe(0);
      const after = await quotasOf(t, 'st-gone');
      const spent = await billed(t, 'st-gone');
      expect(spent).toMatchObject({ calls: 1 });
      expect(spent.tokens).toBeGreaterThan(0);
      expect(after.tokens).toMatchObject({ used: spent.tokens, reserved: 0 });
      expect(after.requests).toMatchObject({ used: 1, reserved: 0 });
    });
  });

  describe('/chat streams on the local provider', () => {
    const t = useTestApp(kind);

    it('settles with the tokens of the answer and of the question embedding, no reservation left', async () => {
      await userOnPlan(t.deps.db, 'st-chat', { model_requests_per_day: 5, tokens_per_month: 1_000_000 });
      await ingestPgDocs(t, 'st-chat');
      const before = await billed(t, 'st-chat');
      const res = await t.as(
        'st-chat',
        '/chat',
        postJson({ message: 'What values can the boolean type have?', stream: true }),
      );
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const events = parseSseEvents(await res.text());
      const usage = events.find((e) => e.event === 'usage')?.data as {
        input_tokens: number;
        output_tokens: number;
      };
      expect(usage.output_tokens).toBeGreaterThan(0);
      expect(events.at(-1)?.event).toBe('done');

      const quotas = await quotasOf(t, 'st-chat');
      const spent = await billed(t, 'st-chat');
      // The ingestion's embeddings were charged when they finished; this request added the
      // question's embedding and the answer the stream reported.
      const requestTokens = spent.tokens - before.tokens;
      expect(requestTokens).toBeGreaterThan(usage.input_tokens + usage.output_tokens);
      expect(quotas.tokens).toMatchObject({ used: spent.tokens, reserved: 0 });
      expect(quotas.requests).toMatchObject({ used: 1, reserved: 0, remaining: 4 });
    });
  });

  describe('a /chat client that hangs up while the model is still answering (slow local provider)', () => {
    const t = useTestApp(kind, { llm: slowLocal(40) });
    const server = useServer(t);

    it('settles once the answer ends, with what its model calls used, no reservation left', async () => {
      await userOnPlan(t.deps.db, 'st-chat-gone', { model_requests_per_day: 5, tokens_per_month: 1_000_000 });
      await ingestPgDocs(t, 'st-chat-gone');
      const before = await billed(t, 'st-chat-gone');
      const res = await fetch(`${server.url()}/chat`, {
        ...postJson({ message: 'What values can the boolean type have?', stream: true }),
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await t.token('st-chat-gone')}`,
        },
      });
      expect(res.status).toBe(200);
      const reader = await readUntil(res, 'event: delta');
      expect((await quotasOf(t, 'st-chat-gone')).requests).toMatchObject({ used: 0, reserved: 1 });
      await reader.cancel();

      // The answer goes on without its reader (it is stored in the conversation): the question's
      // embedding and the whole answer are billed, and the quota settles with both.
      await expect
        .poll(async () => (await billed(t, 'st-chat-gone')).calls - before.calls, { timeout: 10_000 })
        .toBe(2);
      await expect
        .poll(async () => (await quotasOf(t, 'st-chat-gone')).requests.reserved, { timeout: 5_000 })
        .toBe(0);
      const quotas = await quotasOf(t, 'st-chat-gone');
      const spent = await billed(t, 'st-chat-gone');
      expect(quotas.tokens).toMatchObject({ used: spent.tokens, reserved: 0 });
      expect(quotas.requests).toMatchObject({ used: 1, reserved: 0 });
    });
  });
});
