import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('OpenAI-compatible surface security on %s', (kind) => {
  let database: DatabaseHandle;
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveApp>>;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    t = createTestApp(database);
    server = await serveApp(t);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('raises AuthenticationError in the SDK for a missing or forged token', async () => {
    const forged = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-not-a-jwt', maxRetries: 0 });
    const error = await forged.chat.completions
      .create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.type).toBe('authentication_error');
    const res = await t.request('/v1/models');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'authentication_error', code: 'unauthorized' } });
  });

  it('rejects a token signed with another secret', async () => {
    const stranger = await new OpenAI({
      baseURL: `${server.url}/v1`,
      apiKey: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUifQ.c2ln',
      maxRetries: 0,
    }).embeddings
      .create({ model: 'x', input: 'hi' })
      .catch((e) => e);
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
