import { describe, expect, it } from 'vitest';
import { getHealthRoute, getReadinessRoute } from '../../../src/system/system.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody, readJson } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';

/** The parts of the OpenAPI document these tests look at. */
interface OpenApiDocument {
  openapi: string;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties?: object }> };
  paths: Record<
    string,
    Record<string, { security?: unknown; responses: Record<string, { content?: object }> }>
  >;
}

describe.each(databaseKinds)('system routes on %s', (kind) => {
  const t = useTestApp(kind);

  it('GET /health is 200 ok', async () => {
    const res = await t.request('/health');
    expect(await readBody(res, getHealthRoute, 200)).toEqual({ status: 'ok' });
  });

  it('GET /ready reports every check ok', async () => {
    const res = await t.request('/ready');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await readBody(res, getReadinessRoute, 200);
    expect(body).toMatchObject({
      status: 'ready',
      checks: { database: { status: 'ok' }, migrations: { status: 'ok' }, llm: { status: 'ok' } },
    });
  });

  it('GET /openapi.json is OpenAPI 3.1 with the bearer scheme and problem schema', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await readJson<OpenApiDocument>(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Problem?.properties).toHaveProperty('request_id');
    expect(doc.paths['/me']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/me']?.get?.responses['401']?.content).toHaveProperty(['application/problem+json']);
    expect(doc.paths['/health']?.get?.security).toEqual([]);
  });

  it('GET /docs serves the interactive reference', async () => {
    const res = await t.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('/openapi.json');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
