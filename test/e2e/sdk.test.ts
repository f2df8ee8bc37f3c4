// The generated TypeScript SDK (sdk/) against the server as a real process: every operation of
// docs/openapi.json is called through it at least once, and the last test fails when one was not,
// so a new route comes with its SDK call here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentRunStreamEvent,
  CairnProblemError,
  type ChatCompletionChunk,
  type ChatStreamEvent,
  createCairnClient,
} from '../../sdk/src/index.ts';
import { mintToken } from '../../src/auth/mint-token.ts';
import type { Role } from '../../src/auth/principal.ts';
import { routers } from '../../src/routes.ts';
import { startRatesApi } from '../helpers/agent-scenarios.ts';
import { stripeSignature, TEST_BILLING_SECRET } from '../helpers/billing.ts';
import { createResponseChecker } from '../helpers/response-schemas.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const document = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../../docs/openapi.json'), 'utf8'),
) as { paths: Record<string, Record<string, unknown>> };
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
const documentedOperations = Object.entries(document.paths).flatMap(([route, item]) =>
  Object.keys(item)
    .filter((method) => HTTP_METHODS.has(method))
    .map((method) => `${method.toUpperCase()} ${route}`),
);

// Every response the SDK receives is checked against its route's declared schema, as in the other tests.
const checkResponse = createResponseChecker(() =>
  routers.flatMap((router) => router.openAPIRegistry.definitions),
);
const checkedFetch = async (request: Request) => {
  const response = await fetch(request);
  await checkResponse(request, response);
  return response;
};

/** `METHOD /path/{param}` of every operation an SDK client in this file called. */
const called = new Set<string>();

async function expectProblem(call: Promise<unknown>, status: number, type?: string) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CairnProblemError);
  const problem = error as CairnProblemError;
  expect(problem.status).toBe(status);
  if (type) expect(problem.type).toBe(`urn:cairn:problem:${type}`);
  expect(problem.requestId).toBeTruthy();
  return problem;
}

async function collect<E>(stream: AsyncIterable<E>): Promise<E[]> {
  const events: E[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('@cairn/sdk against the server over HTTP', () => {
  let server: ServerProcess;
  let rates: Awaited<ReturnType<typeof startRatesApi>>;
  const client = (options: Partial<Parameters<typeof createCairnClient>[0]> = {}) => {
    const sdk = createCairnClient({ baseUrl: server.baseUrl, fetch: checkedFetch, ...options });
    sdk.use({
      onRequest({ request, schemaPath }) {
        called.add(`${request.method} ${schemaPath}`);
      },
    });
    return sdk;
  };
  const as = (sub: string, role: Role = 'user') =>
    client({ token: () => mintToken({ secret: TEST_JWT_SECRET, sub, role }) });
  const admin = () => as('sdk-admin', 'admin');

  beforeAll(async () => {
    // A local rates service the http_request tool may call: the side-effecting tool an approval pauses.
    rates = await startRatesApi();
    server = await startServer({
      AGENT_HTTP_ALLOWED_HOSTS: rates.host,
      JWT_SECRET: TEST_JWT_SECRET,
      BILLING_WEBHOOK_SECRET: TEST_BILLING_SECRET,
      METRICS_TOKEN: 'sdk-metrics-token-0123456789abcdef',
    });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await rates.close();
  });

  it('reads the public routes and refuses a call without credentials as a typed 401', async () => {
    const anonymous = client();
    expect((await anonymous.GET('/health')).data).toEqual({ status: 'ok' });
    expect((await anonymous.GET('/ready')).data.status).toBe('ready');
    const problem = await expectProblem(anonymous.GET('/me'), 401);
    expect(problem.title).toBeTruthy();
    const metrics = await client({ token: 'sdk-metrics-token-0123456789abcdef' }).GET('/metrics', {
      parseAs: 'text',
    });
    expect(metrics.data).toContain('# TYPE');
  });

  it('answers 400 validation problems with their invalid fields and 404s as typed errors', async () => {
    const sdk = as('sdk-errors');
    const invalid = await expectProblem(
      sdk.POST('/analyze', { body: { text: 42 as unknown as string } }),
      400,
      'validation-error',
    );
    expect(invalid.errors).toEqual([expect.objectContaining({ pointer: '/body/text' })]);
    await expectProblem(
      sdk.GET('/documents/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } }),
      404,
    );
    // /v1 answers in OpenAI's error shape, read into the same error.
    const v1 = await expectProblem(
      sdk.POST('/v1/embeddings', { body: { model: '', input: '' } as never }),
      400,
    );
    expect(v1.detail).toBeTruthy();
  });

  it('manages the caller: /me, API keys (then used as credentials), export and erasure', async () => {
    const sdk = as('sdk-account');
    expect((await sdk.GET('/me')).data).toMatchObject({ id: 'sdk-account', role: 'user' });
    const created = await sdk.POST('/me/api-keys', { body: { name: 'sdk test', scopes: ['rag'] } });
    expect(created.response.status).toBe(201);
    const byKey = client({ apiKey: created.data.key });
    expect((await byKey.GET('/me')).data.id).toBe('sdk-account');
    expect((await sdk.GET('/me/api-keys')).data.items.map((k) => k.id)).toContain(created.data.id);
    await sdk.DELETE('/me/api-keys/{id}', { params: { path: { id: created.data.id } } });
    await expectProblem(byKey.GET('/me'), 401);
    expect((await sdk.GET('/me/export')).data).toMatchObject({ user: { id: 'sdk-account' } });
    const erased = as('sdk-erased');
    await erased.GET('/me');
    expect((await erased.DELETE('/me')).response.status).toBe(200);
    expect((await sdk.GET('/usage')).data).toHaveProperty('quotas');
  });

  it('runs RAG: upload, list, search, chat (plain and streamed), conversations, delete', async () => {
    const sdk = as('sdk-rag');
    const upload = await sdk.POST('/documents', {
      body: {
        title: 'Cairns',
        content:
          'A cairn is a human-made pile of stones. Hikers build cairns to mark trails above the tree line.',
      },
    });
    const id = upload.data.document_id;
    for (let i = 0; i < 200; i++) {
      const { data } = await sdk.GET('/documents/{id}', { params: { path: { id } } });
      if (data.status === 'ready') break;
      expect(data.status).not.toBe('failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await sdk.GET('/documents', { params: { query: { limit: 10 } } })).data.items).toHaveLength(1);
    const found = await sdk.POST('/search', { body: { query: 'what marks trails', top_k: 3 } });
    expect(found.data.results.length).toBeGreaterThan(0);

    const answer = await sdk.POST('/chat', { body: { message: 'Why do hikers build cairns?' } });
    expect(answer.data.answer).toBeTruthy();
    const events: ChatStreamEvent[] = await collect(
      await sdk.streamChat({ message: 'What is a cairn?', conversation_id: answer.data.conversation_id }),
    );
    // Deltas, then citations, usage and the whole answer; the iterator ends after `done`.
    expect(events.slice(-3).map((e) => e.event)).toEqual(['citations', 'usage', 'done']);
    const deltas = events.flatMap((e) => (e.event === 'delta' ? [e.data.content] : []));
    const done = events.at(-1);
    expect(done?.event === 'done' && done.data.answer).toBe(deltas.join(''));

    const conversations = await sdk.GET('/conversations');
    expect(conversations.data.items.map((c) => c.id)).toEqual([answer.data.conversation_id]);
    const conversation = await sdk.GET('/conversations/{id}', {
      params: { path: { id: answer.data.conversation_id } },
    });
    expect(conversation.data.messages.length).toBe(4);
    await sdk.DELETE('/conversations/{id}', { params: { path: { id: answer.data.conversation_id } } });
    await sdk.DELETE('/documents/{id}', { params: { path: { id } } });
    await expectProblem(sdk.GET('/documents/{id}', { params: { path: { id } } }), 404);
  });

  it('calls the gateway: /analyze, /v1 chat (plain and streamed until [DONE]), embeddings, models', async () => {
    const sdk = as('sdk-gateway');
    expect(
      (await sdk.POST('/analyze', { body: { text: 'Ship it, the release is great.' } })).data,
    ).toHaveProperty('result');
    const models = await sdk.GET('/v1/models');
    const model = models.data.data[0]!.id;
    const completion = await sdk.POST('/v1/chat/completions', {
      body: { model, messages: [{ role: 'user', content: 'Say hello' }] },
    });
    expect(completion.data.choices[0]?.message.content).toBeTruthy();
    const chunks: ChatCompletionChunk[] = await collect(
      await sdk.streamChatCompletion({
        model,
        messages: [{ role: 'user', content: 'Say hello' }],
        stream_options: { include_usage: true },
      }),
    );
    expect(chunks[0]?.object).toBe('chat.completion.chunk');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBeTruthy();
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
    const embeddings = await sdk.POST('/v1/embeddings', { body: { model, input: 'cairn' } });
    expect(embeddings.data.data).toHaveLength(1);
  });

  it('runs agents: plain and streamed runs, approval and rejection, profiles and tools', async () => {
    const sdk = as('sdk-agents');
    const boss = admin();
    expect((await sdk.GET('/agent/tools')).data.items.map((t) => t.name)).toContain('calculator');
    const run = await sdk.POST('/agent/runs', { body: { input: 'What is 20 + 22?' } });
    expect(run.data.status).toBe('finished');
    const streamed: AgentRunStreamEvent[] = await collect(
      await sdk.streamAgentRun({ input: 'What is 6 * 7?' }),
    );
    expect(streamed[0]?.event).toBe('run');
    expect(streamed.map((e) => e.event)).toContain('tool_result');
    const final = streamed.at(-1);
    expect(final?.event).toBe('final');
    expect(final?.event === 'final' && final.data.answer).toContain('42');
    expect((await sdk.GET('/agent/runs')).data.items).toHaveLength(2);
    expect(
      (await sdk.GET('/agent/runs/{id}', { params: { path: { id: run.data.run_id } } })).data.trace.length,
    ).toBeGreaterThan(0);

    const profile = await boss.PUT('/admin/agents/{name}', {
      params: { path: { name: 'sdk-careful' } },
      body: {
        system_prompt: 'You check rates.',
        tools: ['http_request', 'calculator'],
        approval_tools: ['http_request'],
      },
    });
    expect(profile.response.status).toBe(201);
    expect((await boss.GET('/admin/agents')).data.items.map((p) => p.name)).toContain('sdk-careful');
    expect(
      (await boss.GET('/admin/agents/{name}', { params: { path: { name: 'sdk-careful' } } })).data.tools,
    ).toContain('http_request');

    const paused = await sdk.POST('/agent/runs', {
      body: {
        agent: 'sdk-careful',
        input: `Convert 50 USD to EUR using the rates at ${rates.url('/rates', 'sdk-approve')}`,
      },
    });
    expect(paused.data.status).toBe('awaiting_approval');
    const approved = await collect(await sdk.streamAgentDecision(paused.data.run_id, 'approve'));
    const last = approved.at(-1);
    expect(last?.event === 'final' && last.data.status).toBe('finished');
    await expectProblem(
      sdk.POST('/agent/runs/{id}/approve', { params: { path: { id: paused.data.run_id } }, body: {} }),
      409,
    );
    const second = await sdk.POST('/agent/runs', {
      body: {
        agent: 'sdk-careful',
        input: `Convert 5 USD to GBP using the rates at ${rates.url('/rates', 'sdk-reject')}`,
      },
    });
    const rejected = await sdk.POST('/agent/runs/{id}/reject', {
      params: { path: { id: second.data.run_id } },
      body: {},
    });
    expect(rejected.data.status).not.toBe('awaiting_approval');
    expect(rates.hits(rates.url('/rates', 'sdk-approve'))).toBe(1);
    expect(rates.hits(rates.url('/rates', 'sdk-reject'))).toBe(0);
    expect(
      (await boss.GET('/admin/audit', { params: { query: { run_id: paused.data.run_id } } })).data.items
        .length,
    ).toBeGreaterThan(0);
    await boss.DELETE('/admin/agents/{name}', { params: { path: { name: 'sdk-careful' } } });
  });

  it('drives the admin API: users, subscriptions, plans, usage, overview, actions, jobs, index versions', async () => {
    const boss = admin();
    await as('sdk-managed').GET('/me');
    expect(
      (await boss.GET('/admin/users', { params: { query: { limit: 100 } } })).data.items.length,
    ).toBeGreaterThan(0);
    expect((await boss.GET('/admin/users/{id}', { params: { path: { id: 'sdk-managed' } } })).data.id).toBe(
      'sdk-managed',
    );
    const plan = await boss.POST('/admin/plans', {
      body: {
        name: 'sdk-plan',
        model_requests_per_day: 10,
        tokens_per_month: 1000,
        cost_usd_per_month: 1,
        agent_runs_per_day: 5,
        documents: 5,
        stored_bytes: 1_000_000,
      },
    });
    expect(plan.response.status).toBe(201);
    expect((await boss.GET('/admin/plans')).data.items.map((p) => p.name)).toContain('sdk-plan');
    await boss.PATCH('/admin/plans/{name}', {
      params: { path: { name: 'sdk-plan' } },
      body: { documents: 6 },
    });
    expect(
      (await boss.GET('/admin/plans/{name}', { params: { path: { name: 'sdk-plan' } } })).data.documents,
    ).toBe(6);
    const subscription = await boss.PATCH('/admin/users/{id}/subscription', {
      params: { path: { id: 'sdk-managed' } },
      body: { plan: 'sdk-plan' },
    });
    expect(subscription.data.plan).toBe('sdk-plan');
    await boss.PATCH('/admin/users/{id}', {
      params: { path: { id: 'sdk-managed' } },
      body: { status: 'disabled' },
    });
    await expectProblem(as('sdk-managed').GET('/me'), 403, 'account-disabled');
    await boss.PATCH('/admin/users/{id}', {
      params: { path: { id: 'sdk-managed' } },
      body: { status: 'active' },
    });

    expect((await boss.GET('/admin/overview')).data).toBeTruthy();
    expect(
      (await boss.GET('/admin/usage', { params: { query: { group_by: 'route' } } })).data.items,
    ).toBeDefined();
    expect((await boss.GET('/admin/actions')).data.items.length).toBeGreaterThan(0);
    expect((await boss.POST('/admin/billing/usage-records', { body: {} })).response.status).toBe(200);
    expect((await boss.GET('/admin/billing/usage-records')).data.items).toBeDefined();

    expect((await boss.GET('/admin/jobs/dead')).data.items).toEqual([]);
    await expectProblem(
      boss.POST('/admin/jobs/{id}/retry', {
        params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
      }),
      404,
    );
    const version = await boss.POST('/admin/index/versions', {
      body: { chunk_size: 256, chunk_overlap: 32 },
    });
    expect(version.response.status).toBe(202);
    expect((await boss.GET('/admin/index/versions')).data.items.length).toBeGreaterThan(1);
    const versionId = version.data.id;
    for (let i = 0; i < 200; i++) {
      try {
        await boss.POST('/admin/index/versions/{id}/activate', { params: { path: { id: versionId } } });
        break;
      } catch (error) {
        if (!(error instanceof CairnProblemError) || error.status !== 409) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await as('sdk-erase-me').GET('/me');
    expect(
      (await boss.DELETE('/admin/users/{id}/data', { params: { path: { id: 'sdk-erase-me' } } })).response
        .status,
    ).toBe(200);
    await expectProblem(as('sdk-not-admin').GET('/admin/overview'), 403);
  });

  it('posts a signed billing webhook (a raw body with its own serializer)', async () => {
    const event = {
      id: 'evt_sdk_1',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: {} },
    };
    const raw = JSON.stringify(event);
    const receipt = await client().POST('/billing/webhooks', {
      body: event as never,
      bodySerializer: () => raw,
      headers: { 'Stripe-Signature': stripeSignature(raw) },
    });
    expect(receipt.data).toMatchObject({ received: true });
  });

  it('retries a failed idempotent call with the same Idempotency-Key, and the server replays it', async () => {
    const sent: { key: string | null; replayed: string | null }[] = [];
    let failNext = true;
    // The first attempt reaches the server, then the connection "drops" before the answer arrives.
    const flaky = async (request: Request) => {
      const response = await checkedFetch(request);
      sent.push({
        key: request.headers.get('idempotency-key'),
        replayed: response.headers.get('idempotent-replayed'),
      });
      if (failNext) {
        failNext = false;
        throw new TypeError('fetch failed');
      }
      return response;
    };
    const sdk = client({
      token: await mintToken({ secret: TEST_JWT_SECRET, sub: 'sdk-retry', role: 'user' }),
      fetch: flaky,
      retry: { attempts: 3, baseDelayMs: 1 },
    });
    const result = await sdk.POST('/analyze', { body: { text: 'Retried once.' } });
    expect(sent).toHaveLength(2);
    expect(sent[0]?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]?.key).toBe(sent[0]?.key);
    expect(result.response.headers.get('idempotent-replayed')).toBe('true');

    // A key the caller chose is kept across attempts too; without retry a network error surfaces.
    failNext = true;
    await sdk.POST('/analyze', { body: { text: 'Chosen key.' }, idempotencyKey: 'sdk-chosen-key-1' });
    expect(sent.slice(-2).map((s) => s.key)).toEqual(['sdk-chosen-key-1', 'sdk-chosen-key-1']);
    failNext = true;
    await expect(sdk.POST('/analyze', { body: { text: 'No retry.' }, retry: false })).rejects.toThrow(
      TypeError,
    );
  });

  it('waits out a 429 with Retry-After before retrying', async () => {
    let calls = 0;
    const limited = async (request: Request) => {
      calls++;
      if (calls === 1) {
        return new Response(
          JSON.stringify({
            type: 'urn:cairn:problem:quota-exceeded',
            title: 'Too many',
            status: 429,
            detail: 'Slow down',
            request_id: 'r1',
          }),
          {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '0' },
          },
        );
      }
      return checkedFetch(request);
    };
    const sdk = client({ fetch: limited, retry: true });
    expect((await sdk.GET('/health')).data.status).toBe('ok');
    expect(calls).toBe(2);
  });

  it('called every operation of docs/openapi.json through the SDK', () => {
    expect(documentedOperations.length).toBeGreaterThan(50);
    expect(documentedOperations.filter((operation) => !called.has(operation))).toEqual([]);
  });
});
