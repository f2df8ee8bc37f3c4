import { describe, expect, it } from 'vitest';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

// Stands in for the socket peer the Node entry reads from the connection.
const peerHeader = 'x-test-peer';

/**
 * An app limiting anonymous requests to 3 a minute. Tests in one block share its limiter and
 * stay apart by calling from distinct client addresses, as other tests use distinct users.
 */
const useLimitedApp = (env: Record<string, string> = {}) =>
  useTestApp('pglite', {
    env: { RATE_LIMIT_POLICIES: 'anonymous:3/1m', ...env },
    override: {
      clientAddress: (request) => request.headers.get(peerHeader) ?? undefined,
      now: () => new Date(Date.UTC(2026, 0, 1)),
    },
  });

const from = (peer: string, headers: Record<string, string> = {}) => ({
  headers: { [peerHeader]: peer, ...headers },
});

describe('the pre-auth limiter', () => {
  const t = useLimitedApp();

  it('limits requests without credentials per client address', async () => {
    const { request } = t;
    for (let i = 0; i < 3; i++) {
      const res = await request('/openapi.json', from('192.0.2.1'));
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit')).toBe(`"anonymous-1m";r=${2 - i};t=60`);
      expect(res.headers.get('RateLimit-Policy')).toBe('"anonymous-1m";q=3;w=60');
    }
    const limited = await request('/openapi.json', from('192.0.2.1'));
    const problem = await expectProblem(limited, 429);
    expect(problem).toMatchObject({
      type: 'urn:cairn:problem:quota-exceeded',
      'violated-policies': ['anonymous-1m'],
    });
    expect(limited.headers.get('Retry-After')).toBe('60');
    expect((await request('/openapi.json', from('192.0.2.2'))).status).toBe(200);
  });

  it('never limits /health and /ready', async () => {
    const { request } = t;
    for (let i = 0; i < 4; i++) await request('/openapi.json', from('192.0.2.3'));
    const health = await request('/health', from('192.0.2.3'));
    expect(health.status).toBe(200);
    expect(health.headers.get('RateLimit')).toBeNull();
    expect((await request('/ready', from('192.0.2.3'))).status).not.toBe(429);
  });

  it('counts unknown paths and missing tokens, then answers 429 instead of 404 or 401', async () => {
    const { request } = t;
    expect((await request('/no-such-thing', from('192.0.2.4'))).status).toBe(404);
    expect((await request('/me', from('192.0.2.4'))).status).toBe(401);
    expect((await request('/me', from('192.0.2.4'))).headers.get('RateLimit')).toMatch(/r=0;/);
    await expectProblem(await request('/no-such-thing', from('192.0.2.4')), 429);
    await expectProblem(await request('/me', from('192.0.2.4')), 429);
  });

  it('counts rejected tokens once auth has said no, and turns them away at the limit', async () => {
    const { request } = t;
    const forged = from('192.0.2.5', { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged' });
    for (let i = 0; i < 3; i++) {
      const res = await request('/me', forged);
      await expectProblem(res, 401);
      expect(res.headers.get('RateLimit')).toBe(`"anonymous-1m";r=${2 - i};t=60`);
    }
    await expectProblem(await request('/me', forged), 429);
  });

  it('leaves authenticated callers to the per-user limiter', async () => {
    for (let i = 0; i < 4; i++) await t.request('/openapi.json', from('192.0.2.6'));
    const token = await t.token('carol');
    const me = await t.request('/me', from('192.0.2.6', { Authorization: `Bearer ${token}` }));
    expect(me.status).toBe(200);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const { request } = t;
    for (let i = 0; i < 3; i++) {
      await request('/openapi.json', from('10.0.0.1', { 'X-Forwarded-For': `198.51.100.${i}` }));
    }
    await expectProblem(
      await request('/openapi.json', from('10.0.0.1', { 'X-Forwarded-For': '198.51.100.9' })),
      429,
    );
  });

  it('limits an IPv6 client per /64', async () => {
    const { request } = t;
    for (const peer of ['2001:db8::1', '2001:db8::2', '2001:db8:0:0:ffff::3']) {
      expect((await request('/openapi.json', from(peer))).status).toBe(200);
    }
    await expectProblem(await request('/openapi.json', from('2001:db8::4')), 429);
    expect((await request('/openapi.json', from('2001:db8:0:1::1'))).status).toBe(200);
  });
});

describe('the pre-auth limiter behind a trusted proxy', () => {
  const t = useLimitedApp({ TRUST_PROXY: '1' });

  it('with TRUST_PROXY, uses the address the trusted proxy saw and ignores what the client wrote', async () => {
    const { request } = t;
    for (const spoofed of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) {
      const res = await request(
        '/openapi.json',
        from('10.0.0.1', { 'X-Forwarded-For': `${spoofed}, 203.0.113.7` }),
      );
      expect(res.status).toBe(200);
    }
    await expectProblem(
      await request('/openapi.json', from('10.0.0.1', { 'X-Forwarded-For': '203.0.113.7' })),
      429,
    );
    expect(
      (await request('/openapi.json', from('10.0.0.1', { 'X-Forwarded-For': '203.0.113.8' }))).status,
    ).toBe(200);
  });
});
