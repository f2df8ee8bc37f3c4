import type { z } from '@hono/zod-openapi';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { openAiErrorSchema } from '../../../src/gateway/v1/v1.schemas.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readJson } from '../../helpers/json-request.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { useTestApp } from '../../helpers/test-app.ts';

// As in v1.error.test.ts: readBody cannot name the /v1 error statuses, so the schema types the body.
type OpenAiErrorBody = z.output<typeof openAiErrorSchema>;

/** The error a rejected SDK call raised. */
const rejection = (work: Promise<unknown>) =>
  work.then(
    () => undefined,
    (e: unknown) => e,
  );

describe.each(databaseKinds)('OpenAI-compatible surface security on %s', (kind) => {
  const t = useTestApp(kind);
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());

  it('raises AuthenticationError in the SDK for a missing or forged token', async () => {
    const forged = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-not-a-jwt', maxRetries: 0 });
    const error = await rejection(
      forged.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ type: 'authentication_error' });
    const res = await t.request('/v1/models');
    expect(res.status).toBe(401);
    expect(await readJson<OpenAiErrorBody>(res)).toMatchObject({
      error: { type: 'authentication_error', code: 'unauthorized' },
    });
  });

  it('rejects a token signed with another secret', async () => {
    const stranger = await rejection(
      new OpenAI({
        baseURL: `${server.url}/v1`,
        apiKey: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUifQ.c2ln',
        maxRetries: 0,
      }).embeddings.create({ model: 'x', input: 'hi' }),
    );
    expect(stranger).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('never echoes secrets or internals in error messages', async () => {
    const res = await t.as(
      'frank',
      '/v1/chat/completions',
      postJson({ model: 'x', messages: [{ role: 'robot', content: 'hi' }] }),
    );
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/stack|at \w+ \(|JWT_SECRET/);
  });
});
