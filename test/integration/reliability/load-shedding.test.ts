import { afterEach, describe, expect, it } from 'vitest';
import { inflightCounterFor } from '../../../src/guards/inflight/inflight.middleware.ts';
import type { ChatStreamEvent, LlmClient } from '../../../src/llm/llm-client.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { limitInflight } from '../../../src/llm/resilience/inflight-limit.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

/**
 * The local provider made slow on demand: while the gate is shut, a chat waits and a stream stops
 * after its first delta (until its caller aborts, as a real provider's request would stop).
 * `fail` makes every call throw, as a broken upstream does.
 */
function gatedProvider() {
  const local = createLocalClient({ embeddingDimensions: 384 });
  let open: () => void = () => {};
  let gate = Promise.resolve();
  const state = { fail: false, calls: 0 };
  const pass = (signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      gate.then(resolve);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  const provider: LlmClient = {
    ...local,
    async chat(request) {
      state.calls++;
      await pass(request.signal);
      if (state.fail) throw new Error('upstream exploded');
      return { ...(await local.chat(request)), content: 'done' };
    },
    async *chatStream(request): AsyncIterable<ChatStreamEvent> {
      state.calls++;
      yield { type: 'delta', content: 'part ' };
      await pass(request.signal);
      yield { type: 'delta', content: 'two' };
      yield { type: 'done', id: 'gated', model: 'local', finishReason: 'stop', usage: null };
    },
  };
  return {
    provider,
    state,
    shut() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    open: () => open(),
  };
}

const chat = (stream = false) =>
  postJson({ model: 'local', stream, messages: [{ role: 'user', content: 'hello' }] });

/** Resolves once `count` of the promises have settled (the refused ones answer at once). */
async function settled<T>(promises: Promise<T>[], count: number): Promise<T[]> {
  const done: T[] = [];
  await new Promise<void>((resolve) => {
    for (const p of promises)
      p.then((value) => {
        done.push(value);
        if (done.length === count) resolve();
      });
  });
  return done;
}

const slots = (t: TestApp, sub: string) => inflightCounterFor(t.deps.guards).count(sub);

// A failed test must not leave calls stuck at a shut gate for the next one.
const reopenAfterEach = (gated: ReturnType<typeof gatedProvider>) =>
  afterEach(() => {
    gated.open();
    gated.state.fail = false;
  });

describe('MAX_INFLIGHT_PER_USER: requests in progress per user', () => {
  const gated = gatedProvider();
  const t = useTestApp('pglite', { llm: gated.provider, env: { MAX_INFLIGHT_PER_USER: '2' } });
  reopenAfterEach(gated);

  it('a burst above the limit gets 429s with Retry-After while /health stays responsive; other users pass', async () => {
    const sub = 'inflight-burst';
    gated.shut();
    await expectResponsive(
      () => t.request('/health'),
      async () => {
        const burst = Array.from({ length: 5 }, () =>
          t.as(sub, '/agent/runs', postJson({ input: 'Say hello.' })),
        );
        const refused = await settled(burst, 3);
        for (const res of refused) {
          expect(res.headers.get('retry-after')).toBe('1');
          const problem = await expectProblem(res, 429);
          expect(problem.type).toBe('urn:cairn:problem:too-many-concurrent-requests');
        }
        expect(slots(t, sub)).toBe(2);
        // /v1 answers the same refusal in OpenAI's shape.
        const v1 = await t.as(sub, '/v1/chat/completions', chat());
        expect(v1.status).toBe(429);
        expect(((await v1.json()) as { error: { type: string; code: string } }).error).toMatchObject({
          type: 'rate_limit_error',
          code: 'too_many_concurrent_requests',
        });
        // Counted per user: another caller is not held up.
        expect((await t.as('inflight-other', '/me')).status).toBe(200);
        gated.open();
        const statuses = await Promise.all(burst.map(async (r) => (await r).status));
        expect(statuses.sort()).toEqual([200, 200, 429, 429, 429]);
      },
    );
    expect(slots(t, sub)).toBe(0);
    expect(t.logs.some((l) => l.msg === 'request rejected' && l.guard === 'inflight')).toBe(true);
    // The three refusals of the burst and the /v1 one are counted like every guard's rejections.
    expect(t.deps.guards.metrics.snapshot()).toContainEqual({
      guard: 'inflight',
      outcome: 'too-many-concurrent',
      count: 4,
    });
  });

  it('a stream holds its slot until its body ends, or until the client goes away', async () => {
    const sub = 'inflight-streams';
    gated.shut();
    const first = await t.as(sub, '/v1/chat/completions', chat(true));
    const second = await t.as(sub, '/v1/chat/completions', chat(true));
    expect([first.status, second.status]).toEqual([200, 200]);
    // The handlers have returned; the streams are still open, so the slots are still held.
    expect(slots(t, sub)).toBe(2);
    expect((await t.as(sub, '/v1/chat/completions', chat(true))).status).toBe(429);

    // The client abandons one stream: its slot is released (at once; the cancellation itself
    // travels on to the provider, which is stuck at the gate).
    void first.body!.cancel();
    expect(slots(t, sub)).toBe(1);
    // The other is read to its end.
    gated.open();
    const text = await second.text();
    expect(text).toContain('[DONE]');
    expect(slots(t, sub)).toBe(0);
    const third = await t.as(sub, '/v1/chat/completions', chat(true));
    expect(third.status).toBe(200);
    await third.text();
    expect(slots(t, sub)).toBe(0);
  });

  it('failed requests release their slots', async () => {
    const sub = 'inflight-errors';
    gated.state.fail = true;
    for (let i = 0; i < 5; i++) {
      const res = await t.as(sub, '/v1/chat/completions', chat());
      expect(res.status).toBeGreaterThanOrEqual(500);
      await res.arrayBuffer();
    }
    const bad = await t.as(sub, '/v1/chat/completions', postJson({ messages: 'nope' }));
    expect(bad.status).toBe(400);
    await bad.arrayBuffer();
    expect(slots(t, sub)).toBe(0);
    expect((await t.as(sub, '/me')).status).toBe(200);
  });
});

describe('LLM_MAX_INFLIGHT: model calls in flight toward the provider', () => {
  const gated = gatedProvider();
  const t = useTestApp('pglite', { llm: limitInflight(gated.provider, { max: 2 }) });
  reopenAfterEach(gated);

  it('beyond the limit a call fails at once with 503 and Retry-After, in /v1 error shape, the provider not asked', async () => {
    gated.shut();
    gated.state.calls = 0;
    const held = [
      t.as('llm-a', '/v1/chat/completions', chat()),
      t.as('llm-b', '/v1/chat/completions', chat()),
    ];
    await expect.poll(() => gated.state.calls).toBe(2);
    const shed = await t.as('llm-c', '/v1/chat/completions', chat());
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(((await shed.json()) as { error: { type: string; code: string } }).error).toMatchObject({
      type: 'server_error',
      code: 'model_overloaded',
    });
    // Not retried, never sent.
    expect(gated.state.calls).toBe(2);
    // The same refusal as problem+json elsewhere; an agent run ends early with its fallback answer.
    const problem = await expectProblem(await t.as('llm-d', '/analyze', postJson({ text: 'Hi.' })), 503);
    expect(problem.type).toBe('urn:cairn:problem:model-overloaded');
    const run = await t.as('llm-d', '/agent/runs', postJson({ input: 'Hi.' }));
    expect(await run.json()).toMatchObject({ status: 'finished', stop_reason: 'error' });
    gated.open();
    for (const res of await Promise.all(held)) expect(res.status).toBe(200);
    expect((await t.as('llm-c', '/v1/chat/completions', chat())).status).toBe(200);
  });

  it('a stream holds its slot until its last event, or until the consumer stops it', async () => {
    gated.shut();
    const client = new AbortController();
    const a = await t.as('llm-stream-a', '/v1/chat/completions', { ...chat(true), signal: client.signal });
    const b = await t.as('llm-stream-b', '/v1/chat/completions', chat(true));
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await t.as('llm-stream-c', '/v1/chat/completions', chat())).status).toBe(503);
    // The client hangs up: the call toward the provider is stopped and its slot freed.
    client.abort();
    void a.body!.cancel();
    await expect
      .poll(async () => {
        const probe = new AbortController();
        const res = await t.as('llm-stream-c', '/v1/chat/completions', {
          ...chat(true),
          signal: probe.signal,
        });
        probe.abort();
        void res.body?.cancel();
        return res.status;
      })
      .toBe(200);
    gated.open();
    expect(await b.text()).toContain('[DONE]');
    const after = await Promise.all([
      t.as('llm-after-a', '/v1/chat/completions', chat()),
      t.as('llm-after-b', '/v1/chat/completions', chat()),
    ]);
    expect(after.map((r) => r.status)).toEqual([200, 200]);
  });
});
