import { createRoute, z } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireAuth } from '../../../src/auth/auth.middleware.ts';
import { guarded } from '../../../src/guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../../src/http/openapi.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const echoSchema = z.object({
  name: z.string().min(1),
  tags: z.array(z.string()).max(2),
  'a/b': z.number().optional(),
});

// A route that exists only in this test, to exercise body handling end to end. Routes that read
// a body are guarded, and guarded() applies the body limit.
const echo = createRoute({
  method: 'post',
  path: '/__test/echo',
  ...guarded({ routeClass: 'write' }),
  request: { body: { required: true, content: { 'application/json': { schema: echoSchema } } } },
  responses: {
    200: { description: 'echo', content: { 'application/json': { schema: echoSchema } } },
    ...authErrorResponses,
    ...problemResponses,
  },
});

describe('HTTP conventions', () => {
  // /__test/admin is mounted outside the OpenAPI registry.
  const t = useTestApp('pglite', { env: { BODY_LIMIT_BYTES: '2048' }, testOnlyRoutes: ['/__test/admin'] });
  /** A body that is not JSON, or not sent as JSON: what postJson cannot send. */
  const postRaw = (sub: string, body: string, contentType: string) =>
    t.as(sub, '/__test/echo', { method: 'POST', body, headers: { 'Content-Type': contentType } });

  beforeAll(() => {
    t.app.openapi(echo, (c) => c.json(c.req.valid('json'), 200));
    t.app.get('/__test/boom', () => {
      throw new Error('database password=hunter2 exploded');
    });
    t.app.get('/__test/admin', requireAuth('admin'), (c) => c.json({ ok: true }));
  });

  it('accepts a valid body', async () => {
    const res = await t.as('echo-valid', '/__test/echo', postJson({ name: 'x', tags: ['a'] }));
    expect(await readBody(res, echo, 200)).toEqual({ name: 'x', tags: ['a'] });
  });

  it('404 problem for an unknown path', async () => {
    const body = await expectProblem(await t.request('/nowhere'), 404);
    expect(body.type).toBe('urn:cairn:problem:not-found');
  });

  it('405 problem with Allow for a known path and wrong method', async () => {
    const res = await t.request('/health', { method: 'DELETE' });
    await expectProblem(res, 405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('400 problem for malformed JSON', async () => {
    const body = await expectProblem(await postRaw('echo-malformed', '{"name":', 'application/json'), 400);
    expect(body.detail).toMatch(/Malformed JSON/);
  });

  it('415 problem for a wrong content type', async () => {
    await expectProblem(await postRaw('echo-text', 'name=x', 'text/plain'), 415);
  });

  it('413 problem for a body over the configured limit', async () => {
    const body = await expectProblem(
      await t.as('echo-large', '/__test/echo', postJson({ name: 'x'.repeat(5000), tags: [] })),
      413,
    );
    expect(body.detail).toContain('2048');
  });

  it('400 problem with a JSON pointer per invalid field', async () => {
    const body = await expectProblem(
      await t.as('echo-invalid', '/__test/echo', postJson({ name: '', tags: ['a', 'b', 'c'], 'a/b': 'x' })),
      400,
    );
    const pointers = body.errors?.map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/body/a~1b', '/body/name', '/body/tags']);
  });

  it('400 problem for a missing body', async () => {
    const res = await t.as('echo-empty', '/__test/echo', { method: 'POST' });
    const body = await expectProblem(res, 400);
    expect(body.errors?.length).toBeGreaterThan(0);
  });

  it('500 problem without internals for an unexpected error, logged with the request id', async () => {
    const res = await t.request('/__test/boom', { headers: { 'X-Request-Id': 'boom-1' } });
    const body = await expectProblem(res, 500);
    expect(JSON.stringify(body)).not.toMatch(/hunter2|exploded|\.ts/);
    expect(body.request_id).toBe('boom-1');
    const logged = t.logs.find((l) => l.msg === 'unhandled error' && l.request_id === 'boom-1');
    expect(logged).toBeDefined();
  });

  it('generates a request id when none or an unsafe one is sent', async () => {
    const generated = await t.request('/health');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await t.request('/health', { headers: { 'X-Request-Id': 'bad id<script>' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await t.request('/health', { headers: { 'X-Request-Id': 'a'.repeat(200) } });
    expect(tooLong.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('403 problem when the role does not suffice, 200 for admin', async () => {
    await expectProblem(await t.as('user1', '/__test/admin'), 403);
    expect((await t.as('root1', '/__test/admin', { role: 'admin' })).status).toBe(200);
  });
});
