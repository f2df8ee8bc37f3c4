import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guarded } from '../../../src/guards/guarded.middleware.ts';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { openTestDatabase } from '../../helpers/databases.ts';
import { createTestApp } from '../../helpers/test-app.ts';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openTestDatabase('pglite');
});
afterAll(() => database.close());

describe('RateLimit headers', () => {
  it('reach responses whose headers cannot be changed in place (redirects, proxied fetches)', async () => {
    const app = createTestApp(database, {
      env: { RATE_LIMIT_POLICIES: 'read:5/1m' },
      override: { now: () => new Date(Date.UTC(2026, 0, 1)) },
    });
    for (const middleware of guarded({ routeClass: 'read' }).middleware)
      app.app.use('/test/redirect', middleware);
    app.app.get('/test/redirect', () => Response.redirect('http://cairn.test/elsewhere', 307));
    const res = await app.as('olga', '/test/redirect');
    expect(res.status).toBe(307);
    expect(res.headers.get('Location')).toBe('http://cairn.test/elsewhere');
    expect(res.headers.get('RateLimit')).toBe('"read-1m";r=4;t=60');
    expect(res.headers.get('RateLimit-Policy')).toBe('"read-1m";q=5;w=60');
  });
});
