import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../../src/llm/llm-client.ts';
import { LlmError } from '../../../src/llm/llm-error.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

/** The call's request id and a user of its own, so each test's usage rows and logs are its own. */
const meta = (requestId: string) => ({ requestId, userId: `user-${requestId}`, route: '/test' });
const user = (content: string) => [{ role: 'user' as const, content }];

async function collect(stream: AsyncIterable<ChatStreamEvent>) {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe.each(databaseKinds)('openai provider through the resilience wrapper on %s', (kind) => {
  const t = useTestApp(kind, { openai: true });

  it('sends messages, tools, the JSON Schema format and limits in the OpenAI wire format', async () => {
    t.openai.script({ kind: 'chat', content: null, toolCalls: [{ name: 'lookup', arguments: '{"q":"x"}' }] });
    const reply = await t.deps.llm.chat({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'find x' },
      ],
      tools: [{ name: 'lookup', description: 'Look things up', parameters: { type: 'object' } }],
      toolChoice: { name: 'lookup' },
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      maxTokens: 64,
      meta: meta('wire-format'),
    });
    expect(t.openai.requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'find x' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Look things up' } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'out', schema: { type: 'object' }, strict: true },
      },
      max_completion_tokens: 64,
    });
    expect(t.openai.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(reply.toolCalls).toEqual([{ id: 'call_0', name: 'lookup', arguments: '{"q":"x"}' }]);
    expect(reply.finishReason).toBe('tool_calls');
  });

  it('accounts provider usage, cached and reasoning tokens, and prices them', async () => {
    t.openai.script({
      kind: 'chat',
      content: 'hi',
      model: 'gpt-4o-mini-2024-07-18',
      usage: { prompt: 1000, completion: 500, cached: 200, reasoning: 100 },
    });
    const reply = await t.deps.llm.chat({ messages: user('hello'), meta: meta('priced') });
    const expected = (800 * 0.15 + 200 * 0.075 + 500 * 0.6) / 1e6;
    expect(reply.accounting).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      usage: { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 200, reasoningTokens: 100 },
      tokensEstimated: false,
      priced: true,
      attempts: 1,
    });
    expect(reply.accounting.costUsd).toBeCloseTo(expected, 12);
    const row = (await storedUsage(t)).find((r) => r.requestId === 'priced');
    expect(row).toMatchObject({
      userId: 'user-priced',
      route: '/test',
      provider: 'openai',
      operation: 'chat',
      tokensIn: 1000,
      tokensOut: 500,
      cachedTokensIn: 200,
      reasoningTokens: 100,
      status: 'ok',
      priced: true,
    });
    expect(Number(row?.costUsd)).toBeCloseTo(expected, 10);
    const line = t.logs.find((l) => l.msg === 'model call' && l.request_id === 'priced');
    expect(line).toMatchObject({
      provider: 'openai',
      attempt: 1,
      tokens_in: 1000,
      tokens_out: 500,
      outcome: 'ok',
    });
    expect(line?.estimated_cost_usd).toBeCloseTo(expected, 10);
  });

  it('counts tokens itself when the provider reports no usage, and flags unpriced models', async () => {
    t.openai.script({
      kind: 'chat',
      content: 'a reply of several tokens',
      usage: null,
      model: 'house-model',
    });
    const reply = await t.deps.llm.chat({
      model: 'house-model',
      messages: user('count me please'),
      meta: meta('unpriced'),
    });
    expect(reply.usage).toBeNull();
    expect(reply.accounting.tokensEstimated).toBe(true);
    expect(reply.accounting.usage.inputTokens).toBeGreaterThan(3);
    expect(reply.accounting.usage.outputTokens).toBe(5);
    expect(reply.accounting).toMatchObject({ costUsd: 0, priced: false });
    expect(t.logs.some((l) => String(l.msg).includes('no price') && l.model === 'house-model')).toBe(true);
  });

  it('retries a 429 and a 500, then succeeds', async () => {
    t.openai.script(
      { kind: 'status', status: 429, retryAfterMs: '10' },
      { kind: 'status', status: 500 },
      { kind: 'chat', content: 'third time lucky' },
    );
    const reply = await t.deps.llm.chat({
      model: 'retry-model',
      messages: user('hi'),
      meta: meta('retried'),
    });
    expect(reply.content).toBe('third time lucky');
    expect(t.openai.requests).toHaveLength(3);
    expect(reply.accounting.attempts).toBe(3);
    const outcomes = t.logs
      .filter((l) => l.request_id === 'retried' && l.msg === 'model call')
      .map((l) => [l.attempt, l.outcome]);
    expect(outcomes).toEqual([
      [1, 'rate_limited'],
      [2, 'upstream_error'],
      [3, 'ok'],
    ]);
  });

  it('does not wait for a Retry-After beyond the longest allowed delay', async () => {
    t.openai.script({ kind: 'status', status: 429, retryAfter: '60' });
    const error = await t.deps.llm
      .chat({ model: 'patient-model', messages: user('hi'), meta: meta('patient') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 503, headers: { 'Retry-After': '60' } });
    expect(t.openai.requests).toHaveLength(1);
  });

  it('never retries a request the provider rejected', async () => {
    t.openai.script({ kind: 'status', status: 400, message: 'unknown parameter' });
    const error = await t.deps.llm
      .chat({ model: 'strict-model', messages: user('hi'), meta: meta('rejected') })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'rejected',
      status: 400,
      message: expect.stringContaining('unknown parameter'),
    });
    expect(t.openai.requests).toHaveLength(1);
  });

  it('gives up after the retries and records the failed call', async () => {
    t.openai.script(
      { kind: 'status', status: 502 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
    );
    const error = await t.deps.llm
      .chat({ model: 'down-model', messages: user('hi'), meta: meta('gave-up') })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'upstream_error', status: 502 });
    expect(t.openai.requests).toHaveLength(3);
    const row = (await storedUsage(t)).find((r) => r.requestId === 'gave-up');
    expect(row).toMatchObject({ status: 'upstream_error', attempts: 3, tokensIn: 0, tokensOut: 0 });
  });

  it('times out a provider that hangs, on every attempt', async () => {
    t.openai.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    const error = await t.deps.llm
      .chat({ model: 'slow-model', messages: user('hi'), meta: meta('slow') })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', status: 504 });
    expect(t.openai.requests).toHaveLength(3);
  });

  it('opens the breaker after repeated failures, fails fast, then recovers after the cool-down', async () => {
    t.openai.script(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    );
    await expect(
      t.deps.llm.chat({ model: 'fragile', messages: user('hi'), meta: meta('breaker') }),
    ).rejects.toMatchObject({
      kind: 'upstream_error',
    });
    expect(t.openai.requests).toHaveLength(3);
    const open = await t.deps.llm
      .chat({ model: 'fragile', messages: user('hi'), meta: meta('breaker') })
      .catch((e: unknown) => e);
    expect(open).toMatchObject({
      kind: 'circuit_open',
      status: 503,
      headers: { 'Retry-After': expect.stringMatching(/^\d+$/) },
    });
    expect(t.openai.requests).toHaveLength(3);
    // Another model of the same provider has its own breaker.
    await expect(
      t.deps.llm.chat({ model: 'sturdy', messages: user('hi'), meta: meta('breaker') }),
    ).resolves.toMatchObject({
      content: 'ok',
    });
    await expect
      .poll(
        () =>
          t.deps.llm.chat({ model: 'fragile', messages: user('hi'), meta: meta('breaker') }).then(
            (r) => r.content,
            (e: LlmError) => e.kind,
          ),
        {
          timeout: 5000,
          interval: 100,
        },
      )
      .toBe('ok');
  });

  it('streams deltas and ends with the provider usage in the accounting', async () => {
    t.openai.script({ kind: 'chat', content: 'streamed reply text', usage: { prompt: 12, completion: 4 } });
    const events = await collect(
      t.deps.llm.chatStream({ messages: user('stream please'), meta: meta('stream') }),
    );
    expect(t.openai.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    const text = events.flatMap((e) => (e.type === 'delta' ? [e.content] : [])).join('');
    expect(text).toBe('streamed reply text');
    expect(events.at(-1)).toMatchObject({
      type: 'done',
      usage: { inputTokens: 12, outputTokens: 4 },
      accounting: { tokensEstimated: false, usage: { inputTokens: 12, outputTokens: 4 } },
    });
  });

  it('retries a stream that fails before its first event', async () => {
    t.openai.script({ kind: 'status', status: 503 }, { kind: 'chat', content: 'second try' });
    const events = await collect(
      t.deps.llm.chatStream({ model: 'stream-retry', messages: user('hi'), meta: meta('stream-retry') }),
    );
    expect(events.at(-1)).toMatchObject({ type: 'done', accounting: { attempts: 2 } });
    expect(t.openai.requests).toHaveLength(2);
  });

  it('times out a stream whose first token never comes', async () => {
    t.openai.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    await expect(
      collect(t.deps.llm.chatStream({ model: 'mute', messages: user('hi'), meta: meta('mute') })),
    ).rejects.toMatchObject({
      kind: 'timeout',
    });
  });

  it('bills a stream cut short by the provider for what it produced', async () => {
    t.openai.script({
      kind: 'chat',
      content: 'this reply will be cut after the first piece',
      cutAfterChunks: 1,
    });
    const events: ChatStreamEvent[] = [];
    const error = await (async () => {
      for await (const e of t.deps.llm.chatStream({
        messages: user('hi'),
        meta: meta('cut'),
      }))
        events.push(e);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect(events.some((e) => e.type === 'delta')).toBe(true);
    const row = (await storedUsage(t)).find((r) => r.requestId === 'cut');
    expect(row).toMatchObject({ operation: 'chat_stream', tokensEstimated: true });
    expect(row?.status).not.toBe('ok');
    expect(row?.tokensOut).toBeGreaterThan(0);
  });

  it('bills a stream the consumer abandons as cancelled', async () => {
    t.openai.script({ kind: 'chat', content: 'a long answer that nobody reads to the end of it at all' });
    for await (const event of t.deps.llm.chatStream({
      messages: user('hi'),
      meta: meta('left'),
    })) {
      if (event.type === 'delta') break;
    }
    const row = (await storedUsage(t)).find((r) => r.requestId === 'left');
    expect(row).toMatchObject({ status: 'cancelled', tokensEstimated: true });
  });

  it('decodes base64 embeddings at the configured size', async () => {
    const result = await t.deps.llm.embed({ texts: ['alpha', 'beta'], meta: meta('emb') });
    expect(t.openai.requests[0]?.body).toMatchObject({
      model: 'text-embedding-3-small',
      dimensions: 8,
      encoding_format: 'base64',
    });
    expect(result.vectors).toHaveLength(2);
    for (const v of result.vectors) {
      expect(v).toHaveLength(8);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    expect(result.accounting.usage.inputTokens).toBe(2);
    const row = (await storedUsage(t)).find((r) => r.requestId === 'emb');
    expect(row).toMatchObject({ operation: 'embed', tokensIn: 2, tokensOut: 0, status: 'ok' });
  });

  it('rejects embeddings of the wrong size instead of storing them', async () => {
    t.openai.script({ kind: 'embeddings', dimensions: 16 });
    await expect(
      t.deps.llm.embed({ model: 'other-embedder', texts: ['x'], meta: meta('wrong-size') }),
    ).rejects.toMatchObject({
      kind: 'invalid_response',
    });
  });
});
