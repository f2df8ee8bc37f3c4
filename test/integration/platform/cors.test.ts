import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load-config.ts';
import { postJson } from '../../helpers/json-request.ts';
import { createTestApp, expectProblem, type TestApp, useTestDatabase } from '../../helpers/test-app.ts';

const APP_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://evil.example.net';

const EXPOSED = [
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'Idempotent-Replayed',
  'X-Request-Id',
  'x-cairn-cost-usd',
  'x-cairn-overhead-ms',
];

/** The CORS response headers (Access-Control-*) a response carries, by lower-case name. */
const corsHeaders = (res: Response) =>
  Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));

const listed = (value: string | null) => (value ?? '').split(',').map((h) => h.trim().toLowerCase());

/** A browser's preflight for `method` with `headers` from `origin`. */
const preflight = (origin: string, method: string, headers: string[] = []): RequestInit => ({
  method: 'OPTIONS',
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': method,
    ...(headers.length ? { 'Access-Control-Request-Headers': headers.join(', ').toLowerCase() } : {}),
  },
});

/** The header names the official SDK sends on a chat completion (as a browser would, without User-Agent). */
async function openAiSdkHeaderNames(): Promise<string[]> {
  let names: string[] = [];
  const openai = new OpenAI({
    apiKey: 'sk-browser',
    baseURL: 'https://cairn.example/v1',
    organization: 'org-x',
    project: 'proj-x',
    maxRetries: 0,
    fetch: async (_url, init) => {
      names = [...new Headers(init?.headers).keys()];
      return Response.json({ object: 'list', data: [] });
    },
  });
  await openai.models.list();
  // Browsers send no User-Agent from the SDK, and never name CORS-safelisted headers (Accept) in a preflight.
  return names.filter((name) => name !== 'user-agent' && name !== 'accept');
}

describe('CORS', () => {
  const database = useTestDatabase('pglite');
  let open: TestApp;
  let limited: TestApp;
  let closed: TestApp;
  beforeAll(() => {
    const CORS_ALLOWED_ORIGINS = `${APP_ORIGIN}, http://localhost:5173`;
    closed = createTestApp(database);
    open = createTestApp(database, { env: { CORS_ALLOWED_ORIGINS } });
    // One request per address and minute before authentication: preflights must not count.
    limited = createTestApp(database, {
      env: { CORS_ALLOWED_ORIGINS, RATE_LIMIT_POLICIES: 'anonymous:1/1m' },
    });
  });

  it('sends no CORS headers at all by default, to any origin, preflights included', async () => {
    const res = await closed.as('cors-default', '/me', { headers: { Origin: APP_ORIGIN } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual({});
    expect(res.headers.get('vary')).toBeNull();
    const pre = await closed.request('/me', preflight(APP_ORIGIN, 'GET', ['Authorization']));
    expect(corsHeaders(pre)).toEqual({});
    await expectProblem(pre, 405);
  });

  it('answers an allowed origin with its origin, the exposed headers and Vary, without credentials', async () => {
    const res = await open.as('cors-allowed', '/me', { headers: { Origin: APP_ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(listed(res.headers.get('access-control-expose-headers'))).toEqual(
      EXPOSED.map((h) => h.toLowerCase()),
    );
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(listed(res.headers.get('vary'))).toContain('origin');
    // The second allowed origin is echoed as well, never `*`.
    const local = await open.as('cors-allowed', '/me', { headers: { Origin: 'http://localhost:5173' } });
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('keeps the CORS headers on error answers, so the page can read them', async () => {
    const denied = await open.request('/v1/models', {
      headers: { Origin: APP_ORIGIN, Authorization: 'Bearer x' },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    const missing = await open.as('cors-errors', '/nowhere', { headers: { Origin: APP_ORIGIN } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('gives a disallowed origin no CORS headers, only Vary: Origin', async () => {
    for (const origin of [OTHER_ORIGIN, `${APP_ORIGIN}.evil.example`, 'null', 'http://app.example.com']) {
      const res = await open.as('cors-denied', '/me', { headers: { Origin: origin } });
      expect(res.status).toBe(200);
      expect(corsHeaders(res), origin).toEqual({});
      expect(listed(res.headers.get('vary'))).toContain('origin');
    }
    const pre = await open.request('/me', preflight(OTHER_ORIGIN, 'GET', ['Authorization']));
    expect(corsHeaders(pre)).toEqual({});
  });

  it('answers preflights without a token for guarded, admin and /v1 routes, before the pre-auth limiter', async () => {
    const sdkHeaders = await openAiSdkHeaderNames();
    expect(sdkHeaders).toEqual(
      expect.arrayContaining(['authorization', 'x-stainless-lang', 'openai-organization']),
    );
    for (const [path, method, headers] of [
      ['/me', 'GET', ['Authorization']],
      ['/documents', 'POST', ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id']],
      ['/admin/users', 'GET', ['Authorization']],
      ['/v1/chat/completions', 'POST', [...sdkHeaders, 'Idempotency-Key']],
      ['/v1/models', 'GET', sdkHeaders],
    ] as const) {
      const res = await limited.request(path, preflight(APP_ORIGIN, method, [...headers]));
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(listed(res.headers.get('access-control-allow-methods'))).toContain(method.toLowerCase());
      const allowed = listed(res.headers.get('access-control-allow-headers'));
      for (const header of headers) expect(allowed, `${path}: ${header}`).toContain(header.toLowerCase());
      expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(res.headers.get('ratelimit'), 'not counted by the pre-auth limiter').toBeNull();
    }
    // The one anonymous request the limiter allows is still there after five preflights.
    const first = await limited.request('/v1/models', { headers: { Origin: APP_ORIGIN } });
    expect(first.status).toBe(401);
    expect(first.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    const second = await limited.request('/v1/models', { headers: { Origin: APP_ORIGIN } });
    expect(second.status).toBe(429);
    expect(second.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('exposes the gateway headers a page reads on a model call', async () => {
    const res = await open.as(
      'cors-gateway',
      '/v1/chat/completions',
      postJson({ model: 'local', messages: [{ role: 'user', content: 'hi' }] }, { Origin: APP_ORIGIN }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cairn-overhead-ms')).not.toBeNull();
    expect(listed(res.headers.get('access-control-expose-headers'))).toEqual(
      expect.arrayContaining(['x-cairn-overhead-ms', 'x-cairn-cost-usd', 'ratelimit', 'x-request-id']),
    );
    // A stream keeps flowing to the end with the CORS headers (and with Vary alone for no origin).
    for (const headers of [{ Origin: APP_ORIGIN }, {}] as Record<string, string>[]) {
      const stream = await open.as(
        'cors-gateway',
        '/v1/chat/completions',
        postJson({ model: 'local', stream: true, messages: [{ role: 'user', content: 'hi' }] }, headers),
      );
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      expect(stream.headers.get('access-control-allow-origin')).toBe(headers.Origin ?? null);
      expect(listed(stream.headers.get('vary'))).toContain('origin');
      expect(await stream.text()).toContain('data: [DONE]');
    }
  });
});

describe('CORS_ALLOWED_ORIGINS', () => {
  it('takes exact origins, comma-separated; unset is none', () => {
    expect(loadConfig({}).CORS_ALLOWED_ORIGINS).toEqual([]);
    expect(
      loadConfig({ CORS_ALLOWED_ORIGINS: ' https://app.example.com ,http://localhost:5173,' })
        .CORS_ALLOWED_ORIGINS,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('refuses wildcards, paths, trailing slashes and what is not an http(s) origin', () => {
    for (const value of [
      '*',
      'https://*.example.com',
      'https://app.example.com/',
      'https://app.example.com/path',
      'https://App.Example.com',
      'https://app.example.com:443',
      'app.example.com',
      'null',
      'file:///tmp',
    ]) {
      expect(() => loadConfig({ CORS_ALLOWED_ORIGINS: value }), value).toThrow(ConfigError);
    }
  });
});
