import type { z } from '@hono/zod-openapi';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { openAiErrorSchema } from '../../../src/gateway/v1/v1.schemas.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readJson } from '../../helpers/json-request.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { createTestApp, useTestApp } from '../../helpers/test-app.ts';

// readBody cannot name the /v1 error statuses (spread in from openAiErrorResponses, they are
// string keys in the route's type), so error bodies are typed by their schema; the test app has
// already checked each against it.
type OpenAiErrorBody = z.output<typeof openAiErrorSchema>;

const hi = [{ role: 'user' as const, content: 'hi' }];

async function sdkError(work: Promise<unknown>) {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

describe.each(databaseKinds)('OpenAI-compatible errors on %s', (kind) => {
  const t = useTestApp(kind, { openai: true });
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());
  /** An openai client acting as `sub`. */
  const sdk = async (sub: string) =>
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: await t.token(sub), maxRetries: 0 });

  it('answers an invalid body in OpenAI error shape, naming the parameter', async () => {
    const res = await t.as('invalid-body', '/v1/chat/completions', postJson({ model: 'gpt-4o-mini' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await readJson<OpenAiErrorBody>(res)).toEqual({
      error: {
        message: expect.stringContaining('messages'),
        type: 'invalid_request_error',
        param: 'messages',
        code: 'validation_error',
      },
    });
  });

  it('raises BadRequestError in the SDK for unsupported options', async () => {
    const client = await sdk('unsupported-option');
    const error = await sdkError(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: hi, n: 2 }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe('n');
    expect(t.openai.requests).toHaveLength(0);
  });

  it('raises UnprocessableEntityError for an unusable response schema', async () => {
    const client = await sdk('unusable-schema');
    const error = await sdkError(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: hi,
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string' } } },
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(error.param).toBe('response_format.json_schema.schema.type');
  });

  it('turns an upstream 500 into 502 after the retries', async () => {
    const client = await sdk('upstream-500');
    t.openai.script(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    );
    const error = await sdkError(client.chat.completions.create({ model: 'v1-failing', messages: hi }));
    expect(error.status).toBe(502);
    expect(error.type).toBe('server_error');
    expect(error.code).toBe('upstream_error');
  });

  it('turns an upstream hang into 504', async () => {
    const client = await sdk('upstream-hang');
    t.openai.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    const error = await sdkError(client.chat.completions.create({ model: 'v1-hanging', messages: hi }));
    expect(error.status).toBe(504);
    expect(error.code).toBe('upstream_timeout');
  });

  it('answers a stream that fails before its first token with a plain error response', async () => {
    const client = await sdk('stream-rejected');
    t.openai.script({ kind: 'status', status: 400, message: 'bad tool schema' });
    const error = await sdkError(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: hi, stream: true }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain('bad tool schema');
  });

  it('ends a stream that breaks mid-way with an error event the SDK raises', async () => {
    const client = await sdk('stream-broken');
    t.openai.script({
      kind: 'chat',
      content: 'this answer breaks off after the first piece',
      cutAfterChunks: 1,
    });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hi, stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('broke off');
  });

  it('refuses a dimensions value the deployment cannot produce', async () => {
    const client = await sdk('bad-dimensions');
    const error = await sdkError(
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 1536 }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe('dimensions');
  });

  it('refuses empty embedding inputs', async () => {
    const client = await sdk('empty-input');
    const error = await sdkError(client.embeddings.create({ model: 'text-embedding-3-small', input: [''] }));
    expect(error.status).toBe(400);
    expect(error.param).toBe('input[0]');
  });

  it("renders the guards' rate-limit and idempotency errors in OpenAI shape", async () => {
    // A second app over the same database, with a limit this test reaches.
    const limited = createTestApp(t.database, { env: { RATE_LIMIT_POLICIES: 'model:2/1m' } });
    const body = { model: 'x', messages: hi };
    const key = { 'Idempotency-Key': 'v1-guards-1' };
    expect((await limited.as('gus', '/v1/chat/completions', postJson(body, key))).status).toBe(200);
    const mismatch = await limited.as('gus', '/v1/chat/completions', postJson({ ...body, seed: 1 }, key));
    expect(mismatch.status).toBe(422);
    expect(await readJson<OpenAiErrorBody>(mismatch)).toMatchObject({
      error: { type: 'invalid_request_error', code: 'idempotency_key_mismatch' },
    });
    await limited.as('gus', '/v1/chat/completions', postJson(body));
    const refused = await limited.as('gus', '/v1/chat/completions', postJson(body));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await readJson<OpenAiErrorBody>(refused)).toMatchObject({
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    });
  });
});
