import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, type TokenVerifierOptions } from '../../../src/auth/token-verifier.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { createTestApp, expectProblem, type TestApp, useTestDatabase } from '../../helpers/test-app.ts';

type Mode = 'serve' | 'hang' | 'error' | 'garbage';

/** A JWKS endpoint on loopback whose behaviour a test switches; counts the fetches it gets. */
async function startJwks() {
  const state = { mode: 'serve' as Mode, keys: [] as JWK[], fetches: 0 };
  const hanging = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    state.fetches++;
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (state.mode === 'error') {
      res.writeHead(500).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(state.mode === 'garbage' ? '{"not":"a key set"}' : JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = (sub: string) =>
    new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  return { jwk, sign };
}

const jwks = await startJwks();
const k1 = await signingKey('k1');
const k2 = await signingKey('k2');
afterAll(() => jwks.close());

describe('JWKS fetch: timeout, cooldown and cache', () => {
  const database = useTestDatabase('pglite');
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) });

  /** An app whose verifier fetches keys from the fake endpoint, with a fresh (empty) key cache. */
  const appWith = (options: Partial<TokenVerifierOptions> = {}): TestApp =>
    createTestApp(database, {
      override: {
        tokens: createTokenVerifier({
          jwksUrl: jwks.url,
          clockSkewSeconds: 0,
          jwksTimeoutMs: 300,
          jwksCooldownMs: 200,
          jwksCacheMaxAgeMs: 60_000,
          logger,
          ...options,
        }),
      },
    });
  const me = async (t: TestApp, token: string) =>
    t.request('/me', { headers: { Authorization: `Bearer ${token}` } });

  beforeAll(() => {
    jwks.state.keys = [k1.jwk];
  });

  it('the settings default to 5 s, 30 s and 10 min, as jose does', () => {
    const config = loadConfig({});
    expect([
      config.JWT_JWKS_TIMEOUT_MS,
      config.JWT_JWKS_COOLDOWN_MS,
      config.JWT_JWKS_CACHE_MAX_AGE_MS,
    ]).toEqual([5000, 30_000, 600_000]);
  });

  it('verifies tokens against the keys the endpoint serves; an unknown key is 401', async () => {
    jwks.state.mode = 'serve';
    const t = appWith();
    expect((await me(t, await k1.sign('jwks-alice'))).status).toBe(200);
    const unknown = await expectProblem(await me(t, await k2.sign('jwks-mallory')), 401);
    expect(unknown.detail).toMatch(/No key matches/);
  });

  it('an endpoint that hangs is a 503 with Retry-After after JWT_JWKS_TIMEOUT_MS, never a 401 or a hang', async () => {
    jwks.state.mode = 'hang';
    const t = appWith();
    const before = logs.length;
    await expectResponsive(
      () => t.request('/health'),
      async () => {
        const started = performance.now();
        const res = await me(t, await k1.sign('jwks-bob'));
        expect(performance.now() - started).toBeLessThan(2000);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        const problem = await expectProblem(res, 503);
        expect(problem.type).toBe('urn:cairn:problem:authentication-unavailable');
      },
    );
    expect(logs.slice(before).find((l) => l.msg === 'jwks fetch failed')).toMatchObject({ level: 'warn' });
  });

  it('an endpoint that answers 500 or no key set is a 503 too; /v1 answers it in its own shape', async () => {
    for (const mode of ['error', 'garbage'] as const) {
      jwks.state.mode = mode;
      const t = appWith();
      await expectProblem(await me(t, await k1.sign(`jwks-${mode}`)), 503);
      const v1 = await t.request('/v1/models', {
        headers: { Authorization: `Bearer ${await k1.sign('v1')}` },
      });
      expect(v1.status).toBe(503);
      expect(((await v1.json()) as { error: { code: string } }).error.code).toBe(
        'authentication_unavailable',
      );
    }
  });

  it('keeps using fetched keys while they are fresh, even with the endpoint down', async () => {
    jwks.state.mode = 'serve';
    const t = appWith();
    expect((await me(t, await k1.sign('jwks-carol'))).status).toBe(200);
    jwks.state.mode = 'hang';
    const fetches = jwks.state.fetches;
    // A new token (not in the verified-token cache) still verifies from the cached key set.
    expect((await me(t, await k1.sign('jwks-dave'))).status).toBe(200);
    expect(jwks.state.fetches).toBe(fetches);
  });

  it('fetches again after JWT_JWKS_CACHE_MAX_AGE_MS, and answers 503 when that fetch fails', async () => {
    jwks.state.mode = 'serve';
    const t = appWith({ jwksCacheMaxAgeMs: 1000 });
    expect((await me(t, await k1.sign('jwks-erin'))).status).toBe(200);
    jwks.state.mode = 'error';
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expectProblem(await me(t, await k1.sign('jwks-frank')), 503);
    jwks.state.mode = 'serve';
    expect((await me(t, await k1.sign('jwks-grace'))).status).toBe(200);
  });

  it('a token with an unknown key refetches at most once per JWT_JWKS_COOLDOWN_MS (key rotation)', async () => {
    jwks.state.mode = 'serve';
    jwks.state.keys = [k1.jwk];
    const t = appWith({ jwksCooldownMs: 500 });
    expect((await me(t, await k1.sign('jwks-heidi'))).status).toBe(200);
    const fetches = jwks.state.fetches;
    // The provider rotates in k2; within the cooldown, unknown-kid tokens cannot make cairn refetch.
    jwks.state.keys = [k1.jwk, k2.jwk];
    for (let i = 0; i < 5; i++) await expectProblem(await me(t, await k2.sign(`jwks-ivan-${i}`)), 401);
    expect(jwks.state.fetches).toBe(fetches);
    await new Promise((resolve) => setTimeout(resolve, 550));
    expect((await me(t, await k2.sign('jwks-judy'))).status).toBe(200);
    expect(jwks.state.fetches).toBe(fetches + 1);
  });
});
