import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectProblem, TEST_JWT_SECRET, useTestApp } from '../../helpers/test-app.ts';

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const nowS = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET));

describe.each(databaseKinds)('token subjects and lifetimes on %s', (kind) => {
  const t = useTestApp(kind, { env: { JWT_MAX_SUBJECT_LENGTH: '64', JWT_MAX_AGE_S: '86400' } });

  it('subjects that would be stored altered never become (shared) tenants: 401, not 500', async () => {
    // Before: both were stored as "eve\ufffd", one tenant for two token subjects.
    for (const sub of ['eve\ud800', 'eve\udbff', 'eve\u0000', '   ', 'a\nb', 'x'.repeat(65)]) {
      const problem = await expectProblem(await t.request('/me', bearer(await t.token(sub))), 401);
      expect(problem.detail).toMatch(/"sub"/);
    }
    const stored = await t.request('/me', bearer(await t.token('eve\ufffd')));
    expect(stored.status).toBe(200);
  });

  it('a token valid for longer than JWT_MAX_AGE_S, or issued in the future, is 401', async () => {
    for (const claims of [
      { sub: 'lifetime', exp: 1e20 },
      { sub: 'lifetime', iat: nowS(), exp: nowS() + 86_401 },
      { sub: 'lifetime', iat: nowS() + 3600, exp: nowS() + 7200 },
    ]) {
      await expectProblem(await t.request('/me', bearer(await sign(claims))), 401);
    }
    const fine = await t.request(
      '/me',
      bearer(await sign({ sub: 'lifetime', iat: nowS(), exp: nowS() + 600 })),
    );
    expect(fine.status).toBe(200);
  });
});
