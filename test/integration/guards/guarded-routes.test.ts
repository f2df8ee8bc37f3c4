import { describe, expect, it } from 'vitest';
import { idempotency } from '../../../src/guards/idempotency/idempotency.middleware.ts';
import { routers } from '../../../src/routes.ts';
import { useTestApp } from '../../helpers/test-app.ts';

// The POST routes that do work and so must honour Idempotency-Key (docs/conventions.md); a
// route that drops its idempotent guard fails here instead of silently leaving the list.
const expectedWorkRoutes = [
  'POST /analyze',
  'POST /chat',
  'POST /documents',
  'POST /v1/chat/completions',
  'POST /v1/embeddings',
];

// guarded({ idempotent: true }) puts this middleware on the route. The capability routers keep
// every route's middleware in their route table (the OpenAPI registry does not), so the routes
// that do work are read from there: a new one is covered here without being listed.
const IDEMPOTENCY_MIDDLEWARE = idempotency().name;
const idempotentRoutes = [
  ...new Set(
    routers
      .flatMap((router) => router.routes)
      .filter((route) => route.handler.name === IDEMPOTENCY_MIDDLEWARE)
      .map((route) => `${route.method} ${route.path}`),
  ),
].sort();
// Path parameters get a well-formed id: the guards answer before the route looks it up.
const paths = idempotentRoutes.map((route) =>
  route.slice(route.indexOf(' ') + 1).replace(/:[^/]+/g, crypto.randomUUID()),
);

const send = (headers: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: '{}',
});

describe('the guards on the real routes', () => {
  const t = useTestApp('pglite', { env: { RATE_LIMIT_POLICIES: 'model:1/1m;write:1/1m' } });

  it("find every expected work route among the routers' idempotent routes", () => {
    expect(IDEMPOTENCY_MIDDLEWARE).not.toBe('');
    expect(idempotentRoutes).toEqual(expect.arrayContaining(expectedWorkRoutes));
    expect(idempotentRoutes.every((route) => route.startsWith('POST '))).toBe(true);
  });

  it('rate-limit and check Idempotency-Key on every POST route that does work', async () => {
    for (const path of paths) {
      const res = await t.as(`ivan${path}`, path, send({ 'Idempotency-Key': 'not a valid key' }));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('RateLimit-Policy')).toMatch(/^"(model|write)-1m";q=1;w=60$/);
    }
  });

  it('run auth first, then the rate limit, then idempotency', async () => {
    for (const path of paths) {
      expect((await t.request(path, send({ 'Idempotency-Key': 'bad key' }))).status).toBe(401);
      await t.as(`judy${path}`, path, send({}));
      const limited = await t.as(`judy${path}`, path, send({ 'Idempotency-Key': 'bad key' }));
      expect({ path, status: limited.status }).toEqual({ path, status: 429 });
    }
  });
});
