import { describe, expect, it } from 'vitest';
import { getMeRoute } from '../../src/auth/me.routes.ts';
import { getHealthRoute, getReadinessRoute } from '../../src/system/system.routes.ts';
import { readBody, readJson } from '../helpers/json-request.ts';
import { as, call } from './worker-client.ts';

describe('the app inside workerd', () => {
  it('answers /health', async () => {
    expect(await readBody(await call('/health'), getHealthRoute, 200)).toEqual({ status: 'ok' });
  });

  it('reports ready against PostgreSQL with migrations applied', async () => {
    const body = await readBody(await call('/ready'), getReadinessRoute, 200);
    expect(body.checks.database.status).toBe('ok');
    expect(body.checks.migrations.status).toBe('ok');
  });

  it('serves the OpenAPI 3.1 document', async () => {
    const doc = await readJson<{ openapi: string; paths: Record<string, unknown> }>(
      await call('/openapi.json'),
    );
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/me');
  });

  it('authenticates /me and rejects a missing token with problem+json', async () => {
    const ok = await as('wally', '/me', { role: 'admin' });
    expect(await readBody(ok, getMeRoute, 200)).toMatchObject({ id: 'wally', role: 'admin' });

    const missing = await call('/me');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });
});
