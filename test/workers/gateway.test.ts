import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/api.ts';
import type { Env } from '../../workers/env.ts';
import { workerToken } from './worker-token.ts';

/**
 * Calls the Worker's fetch handler with its own execution context and waits for the work it
 * handed to waitUntil (usage events), so requests never overlap on the test database.
 */
async function call(sub: string | undefined, path: string, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sub) headers.authorization = `Bearer ${await workerToken(sub)}`;
  const request = new Request<unknown, IncomingRequestCfProperties>(`http://cairn.test${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env as unknown as Env, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return new Response(text, response);
}

describe('the gateway inside workerd (local provider)', () => {
  it('analyses a text into the validated default schema, with cost headers', async () => {
    const res = await call('wendy', '/analyze', {
      text: 'Acme Corp opened an office in Paris. The team is thrilled and proud.',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: Record<string, unknown>; model: string; attempts: number };
    expect(body).toMatchObject({
      model: 'local',
      attempts: 1,
      result: { sentiment: { label: 'positive' }, language: 'en' },
    });
    expect(res.headers.get('x-cairn-cost-usd')).toBe('0');
    expect(res.headers.get('x-cairn-overhead-ms')).toMatch(/^\d+(\.\d+)?$/);
  });

  it('validates a custom schema with the JSON Schema validator (no eval on Workers) and rejects bad ones', async () => {
    const schema = {
      type: 'object',
      properties: { mood: { type: 'string', enum: ['up', 'down'] } },
      required: ['mood'],
    };
    const ok = await call('wendy', '/analyze', { text: 'A wonderful, happy day.', schema });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: unknown }).result).toEqual({ mood: 'up' });
    const bad = await call('wendy', '/analyze', {
      text: 'x',
      schema: { type: 'object', properties: { a: { type: 'strin' } } },
    });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('serves chat completions as JSON and as Server-Sent Events', async () => {
    const messages = [
      { role: 'system', content: 'Workers run cairn at the edge.' },
      { role: 'user', content: 'Where does cairn run?' },
    ];
    const json = await call('wendy', '/v1/chat/completions', { model: 'gpt-4o-mini', messages });
    expect(json.status).toBe(200);
    const completion = (await json.json()) as { model: string; choices: { message: { content: string } }[] };
    expect(completion.model).toBe('local');
    expect(completion.choices[0]?.message.content).toContain('edge');

    const sse = await call('wendy', '/v1/chat/completions', {
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const text = await sse.text();
    expect(text).toContain('"object":"chat.completion.chunk"');
    expect(text).toContain('"usage":{"prompt_tokens"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('serves embeddings in base64 and lists models', async () => {
    const res = await call('wendy', '/v1/embeddings', {
      model: 'local',
      input: ['a', 'b'],
      encoding_format: 'base64',
    });
    const body = (await res.json()) as { data: { embedding: string }[] };
    expect(body.data).toHaveLength(2);
    expect(atob(body.data[0]!.embedding).length).toBe(384 * 4);
    const models = (await (await call('wendy', '/v1/models')).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain('local');
  });

  it('answers /v1 errors in OpenAI shape', async () => {
    const res = await call(undefined, '/v1/chat/completions', { model: 'x', messages: [] });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'authentication_error' } });
  });

  it('stores usage through waitUntil and reports it on GET /usage', async () => {
    const analysed = await call('xavier', '/analyze', { text: 'Counting my usage on the edge.' });
    expect(analysed.status).toBe(200);
    const report = (await (await call('xavier', '/usage')).json()) as {
      totals: { calls: number; tokens_in: number };
    };
    expect(report.totals.calls).toBe(1);
    expect(report.totals.tokens_in).toBeGreaterThan(0);
  });
});
