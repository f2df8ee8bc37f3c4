import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { openTestDatabase } from '../../helpers/databases.ts';
import { createTestApp } from '../../helpers/test-app.ts';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openTestDatabase('pglite');
});
afterAll(() => database.close());

// DESIGN.md §2: the POST routes that do work honour Idempotency-Key; /agent/runs joins when it exists.
const workRoutes = [
  '/analyze',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/documents',
  '/chat',
  '/agent/runs',
];

const send = (headers: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: '{}',
});

describe('the guards on the real routes', () => {
  const app = () => createTestApp(database, { env: { RATE_LIMIT_POLICIES: 'model:1/1m;write:1/1m' } });
  const mounted = (routes: { method: string; path: string }[]) =>
    workRoutes.filter((path) => routes.some((r) => r.method === 'POST' && r.path === path));

  it('rate-limit and check Idempotency-Key on every POST route that does work', async () => {
    const { app: hono, as } = app();
    const present = mounted(hono.routes);
    expect(present).toEqual(
      expect.arrayContaining(['/analyze', '/v1/chat/completions', '/documents', '/chat']),
    );
    for (const path of present) {
      const res = await as(`ivan${path}`, path, send({ 'Idempotency-Key': 'not a valid key' }));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('RateLimit-Policy')).toMatch(/^"(model|write)-1m";q=1;w=60$/);
    }
  });

  it('run auth first, then the rate limit, then idempotency', async () => {
    const { app: hono, request, as } = app();
    for (const path of mounted(hono.routes)) {
      expect((await request(path, send({ 'Idempotency-Key': 'bad key' }))).status).toBe(401);
      await as(`judy${path}`, path, send({}));
      const limited = await as(`judy${path}`, path, send({ 'Idempotency-Key': 'bad key' }));
      expect({ path, status: limited.status }).toEqual({ path, status: 429 });
    }
  });
});
