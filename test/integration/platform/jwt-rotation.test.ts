import { describe, expect, it } from 'vitest';
import { mintToken } from '../../../src/auth/mint-token.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createTestApp, expectProblem, TEST_JWT_SECRET, useTestDatabase } from '../../helpers/test-app.ts';

const NEW_SECRET = 'the-next-secret-after-rotation-is-32-chars';

describe('rotating JWT_SECRET without downtime', () => {
  const database = useTestDatabase('pglite');
  const me = (app: ReturnType<typeof createTestApp>, token: string) =>
    app.request('/me', { headers: { Authorization: `Bearer ${token}` } });

  it('old tokens pass while the old secret is in JWT_SECRET_PREVIOUS, and fail once it is removed', async () => {
    const oldToken = await mintToken({ secret: TEST_JWT_SECRET, sub: 'rot-a', role: 'user' });
    const newToken = await mintToken({ secret: NEW_SECRET, sub: 'rot-a', role: 'user' });
    const during = createTestApp(database, {
      env: { JWT_SECRET: NEW_SECRET, JWT_SECRET_PREVIOUS: TEST_JWT_SECRET },
    });
    expect((await me(during, oldToken)).status).toBe(200);
    expect((await me(during, newToken)).status).toBe(200);
    const after = createTestApp(database, { env: { JWT_SECRET: NEW_SECRET } });
    expect((await me(after, newToken)).status).toBe(200);
    await expectProblem(await me(after, oldToken), 401);
  });

  it('refuses a previous secret shorter than 32 characters', () => {
    expect(() =>
      loadConfig({ JWT_SECRET: NEW_SECRET, JWT_SECRET_PREVIOUS: `${TEST_JWT_SECRET},short` }),
    ).toThrow(/JWT_SECRET_PREVIOUS/);
  });
});
