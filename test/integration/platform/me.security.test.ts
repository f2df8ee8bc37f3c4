import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { expectProblem, TEST_JWT_SECRET, useTestApp } from '../../helpers/test-app.ts';

const sign = (claims: Record<string, unknown>, secret = TEST_JWT_SECRET, exp: string | number = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('eve')
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('GET /me authentication', () => {
  const t = useTestApp('pglite');
  const me = (authorization?: string) =>
    t.request('/me', authorization ? { headers: { Authorization: authorization } } : undefined);

  it('401 without an Authorization header, with WWW-Authenticate', async () => {
    const res = await me();
    const body = await expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(body.type).toBe('urn:cairn:problem:unauthorized');
  });

  it('401 for a garbage header', async () => {
    await expectProblem(await me('Bearer not-a-token'), 401);
    await expectProblem(await me('Basic YWxpY2U6c2VjcmV0'), 401);
    await expectProblem(await me('Bearer '), 401);
  });

  it('401 for an expired token', async () => {
    const body = await expectProblem(
      await me(`Bearer ${await sign({}, TEST_JWT_SECRET, Math.floor(Date.now() / 1000) - 3600)}`),
      401,
    );
    expect(body.detail).toMatch(/expired/);
  });

  it('401 for a token signed with the wrong key', async () => {
    await expectProblem(
      await me(`Bearer ${await sign({}, 'some-other-secret-that-is-32-chars-long!!')}`),
      401,
    );
  });

  it('401 for alg none, even claiming admin', async () => {
    const token = `${b64({ alg: 'none' })}.${b64({ sub: 'eve', role: 'admin', exp: 4102444800 })}.`;
    await expectProblem(await me(`Bearer ${token}`), 401);
  });

  it('401 for a role outside user|admin', async () => {
    await expectProblem(await me(`Bearer ${await sign({ role: 'superuser' })}`), 401);
  });

  it('never echoes the token or internals in the problem', async () => {
    const token = await sign({}, 'some-other-secret-that-is-32-chars-long!!');
    const res = await me(`Bearer ${token}`);
    const text = await res.text();
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(JSON.stringify(t.logs)).not.toContain(token);
  });
});
