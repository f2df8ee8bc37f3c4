import { describe, expect, it } from 'vitest';
import { guarded } from '../../../src/guards/guarded.middleware.ts';
import { useTestApp } from '../../helpers/test-app.ts';

describe('RateLimit headers', () => {
  // /test/redirect is mounted below, outside the OpenAPI registry.
  const t = useTestApp('pglite', {
    env: { RATE_LIMIT_POLICIES: 'read:5/1m' },
    override: { now: () => new Date(Date.UTC(2026, 0, 1)) },
    testOnlyRoutes: ['/test/redirect'],
  });

  it('reach responses whose headers cannot be changed in place (redirects, proxied fetches)', async () => {
    for (const middleware of guarded({ routeClass: 'read' }).middleware)
      t.app.use('/test/redirect', middleware);
    t.app.get('/test/redirect', () => Response.redirect('http://cairn.test/elsewhere', 307));
    const res = await t.as('olga', '/test/redirect');
    expect(res.status).toBe(307);
    expect(res.headers.get('Location')).toBe('http://cairn.test/elsewhere');
    expect(res.headers.get('RateLimit')).toBe('"read-1m";r=4;t=60');
    expect(res.headers.get('RateLimit-Policy')).toBe('"read-1m";q=5;w=60');
  });
});
