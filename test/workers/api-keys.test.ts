import { describe, expect, it } from 'vitest';
import { createApiKeyRoute } from '../../src/auth/api-keys.routes.ts';
import { getMeRoute } from '../../src/auth/me.routes.ts';
import { postJson, readBody } from '../helpers/json-request.ts';
import { as, call } from './worker-client.ts';

describe('API keys inside workerd', () => {
  it('a key created there authenticates /me and a model call, and is refused once revoked', async () => {
    const created = await readBody(
      await as('worker-keys', '/me/api-keys', postJson({ name: 'worker', scopes: ['model'] })),
      createApiKeyRoute,
      201,
    );
    const auth = { Authorization: `Bearer ${created.key}` };
    expect(await readBody(await call('/me', { headers: auth }), getMeRoute, 200)).toMatchObject({
      id: 'worker-keys',
    });
    const completion = await call(
      '/v1/chat/completions',
      postJson({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, auth),
    );
    expect(completion.status).toBe(200);
    expect((await call('/documents', { headers: auth })).status).toBe(403);

    expect((await as('worker-keys', `/me/api-keys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/me', { headers: auth })).status).toBe(401);
  });

  it("an erased account's key is refused at once", async () => {
    const created = await readBody(
      await as('worker-erased', '/me/api-keys', postJson({ name: 'worker' })),
      createApiKeyRoute,
      201,
    );
    expect((await as('worker-erased', '/me', { method: 'DELETE' })).status).toBe(200);
    expect((await call('/me', { headers: { Authorization: `Bearer ${created.key}` } })).status).toBe(401);
  });
});
