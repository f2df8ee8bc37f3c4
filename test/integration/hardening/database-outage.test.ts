import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrincipalCache } from '../../../src/auth/resolve-principal.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { checkDatabaseAtStartup } from '../../../src/db/startup-check.ts';
import { type DatabaseHandle, openPglite, openPostgres } from '../../../src/node/open-database.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { getReadinessRoute } from '../../../src/system/system.routes.ts';
import { readBody } from '../../helpers/json-request.ts';
import { createTestApp, expectProblem, type TestApp } from '../../helpers/test-app.ts';

// Nothing listens on port 1: every connection is refused at once.
const UNREACHABLE_URL = 'postgres://cairn@127.0.0.1:1/cairn';

// A known caller already in the principal cache, so requests get past authentication without the
// database and reach the routes' own queries.
function cachedPrincipals(...subs: string[]) {
  const cache = createPrincipalCache();
  for (const sub of subs) cache.set(sub, { userId: sub, role: 'user', plan: 'free', status: 'active' });
  return cache;
}

const outages: [string, () => Promise<DatabaseHandle>][] = [
  [
    'PostgreSQL refusing connections',
    async () => openPostgres(loadConfig({ DB_CONNECT_TIMEOUT_S: '2' }), UNREACHABLE_URL),
  ],
  [
    'a closed PGlite',
    async () => {
      const handle = await openPglite(undefined);
      await handle.close();
      return { ...handle, close: async () => {} };
    },
  ],
];

describe.each(outages)('with %s', (_name, open) => {
  let database: DatabaseHandle;
  let t: TestApp;

  beforeAll(async () => {
    database = await open();
    t = createTestApp(database, { override: { principalCache: cachedPrincipals('outage-known') } });
  });
  afterAll(() => database.close());

  it('data routes answer 503 database-unavailable with Retry-After, not 500', async () => {
    for (const [sub, path] of [
      ['outage-known', '/documents'],
      ['outage-known', '/conversations'],
      ['outage-known', '/usage'],
      // Not cached: authentication itself needs the database.
      ['outage-new', '/me'],
    ] as const) {
      const res = await t.as(sub, path);
      expect(res.headers.get('retry-after'), path).toMatch(/^\d+$/);
      const problem = await expectProblem(res, 503);
      expect(problem.type).toBe('urn:cairn:problem:database-unavailable');
    }
  });

  it('/v1 answers 503 in its own error shape', async () => {
    const res = await t.as('outage-v1', '/v1/models');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
  });

  it('logs the driver cause, and /ready names the failure without SQL while /health stays up', async () => {
    const before = t.logs.length;
    await t.as('outage-known', '/documents');
    const logged = t.logs.slice(before).find((l) => l.msg === 'database unavailable');
    expect(logged?.level).toBe('warn');
    expect(JSON.stringify(logged)).toMatch(/ECONNREFUSED|PGlite is closed/);

    const res = await t.request('/ready');
    const text = await res.clone().text();
    const body = await readBody(res, getReadinessRoute, 503);
    expect(body.checks.database).toEqual({ status: 'fail', detail: expect.stringMatching(/^unreachable/) });
    expect(text).not.toMatch(/select|params|127\.0\.0\.1/i);
    expect((await t.request('/health')).status).toBe(200);
  });

  it('the startup check logs why the database cannot be used', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) });
    expect(await checkDatabaseAtStartup(database.db, logger, { kind: 'postgres' })).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'database unavailable',
      reason: expect.stringMatching(/^unreachable/),
    });
    expect(JSON.stringify(lines[0])).not.toContain('params');
  });
});

describe('the startup check on a working database', () => {
  it('logs nothing when the database answers and is migrated', async () => {
    const database = await openPglite(undefined);
    await database.migrate();
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    expect(await checkDatabaseAtStartup(database.db, logger, { kind: 'pglite' })).toBe(true);
    expect(lines).toEqual([]);
    await database.close();
  });
});
