import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { workerToken } from './worker-token.ts';

const worker = () => (exports as unknown as { default: Fetcher }).default;
const call = (path: string, init?: RequestInit) => worker().fetch(`http://cairn.test${path}`, init);

describe('the app inside workerd', () => {
  it('answers /health', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports ready against PostgreSQL with migrations applied', async () => {
    const res = await call('/ready');
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.checks.database?.status).toBe('ok');
    expect(body.checks.migrations?.status).toBe('ok');
    expect(res.status).toBe(200);
  });

  it('serves the OpenAPI 3.1 document', async () => {
    const res = await call('/openapi.json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/me');
  });

  it('authenticates /me and rejects a missing token with problem+json', async () => {
    const ok = await call('/me', {
      headers: { Authorization: `Bearer ${await workerToken('wally', 'admin')}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 'wally', role: 'admin' });

    const missing = await call('/me');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });
});
