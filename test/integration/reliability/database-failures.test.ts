import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrincipalCache } from '../../../src/auth/resolve-principal.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { describeDatabaseFailure, isDatabaseUnavailable } from '../../../src/db/pg-errors.ts';
import { type DatabaseHandle, openPostgres } from '../../../src/node/open-database.ts';
import { openTestDatabase } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { createTestApp, expectProblem, type TestApp } from '../../helpers/test-app.ts';

/**
 * A TCP server that speaks just enough of the PostgreSQL protocol to fail: `hang` accepts and
 * never answers (a connect timeout), `too-many` answers the startup message with SQLSTATE 53300,
 * as a server at max_connections does.
 */
async function fakePostgres(mode: 'hang' | 'too-many') {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (mode === 'hang') return;
    socket.once('data', () => {
      const fields = Buffer.concat(
        [
          ['S', 'FATAL'],
          ['V', 'FATAL'],
          ['C', '53300'],
          ['M', 'sorry, too many clients already'],
        ].map(([tag, value]) => Buffer.from(`${tag}${value}\0`)),
      );
      const body = Buffer.concat([fields, Buffer.from([0])]);
      const header = Buffer.alloc(5);
      header.write('E', 0);
      header.writeInt32BE(body.length + 4, 1);
      socket.end(Buffer.concat([header, body]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://cairn@127.0.0.1:${port}/cairn`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// Callers already in the principal cache get past authentication without the database and reach
// the routes' own queries; `new-*` callers are not cached, so authentication itself needs it.
const KNOWN = 'outage-user';
const ADMIN = 'outage-admin';
function cachedPrincipals() {
  const cache = createPrincipalCache();
  cache.set(KNOWN, { userId: KNOWN, role: 'user', plan: 'free', status: 'active' });
  cache.set(ADMIN, { userId: ADMIN, role: 'admin', plan: 'free', status: 'active' });
  return cache;
}

/** One request per route class that needs the database, and what each must answer. */
const routeClasses: { name: string; send: (t: TestApp) => Promise<Response> }[] = [
  { name: 'read: GET /documents', send: (t) => t.as(KNOWN, '/documents') },
  {
    name: 'write: POST /documents',
    send: (t) => t.as(KNOWN, '/documents', postJson({ title: 'T', content: 'Some text.' })),
  },
  { name: 'model: POST /search', send: (t) => t.as(KNOWN, '/search', postJson({ query: 'vacuum' })) },
  { name: 'model: POST /agent/runs', send: (t) => t.as(KNOWN, '/agent/runs', postJson({ input: '2 + 2' })) },
  { name: 'admin: GET /admin/jobs/dead', send: (t) => t.as(ADMIN, '/admin/jobs/dead', { role: 'admin' }) },
  { name: 'auth: GET /me, caller not cached', send: (t) => t.as(`new-${randomUUID()}`, '/me') },
];

async function expectDatabaseProblem(res: Response, label: string) {
  expect(res.headers.get('retry-after'), label).toMatch(/^\d+$/);
  const problem = await expectProblem(res, 503);
  expect(problem.type, label).toBe('urn:cairn:problem:database-unavailable');
}

const outages: [
  string,
  () => Promise<{ url: string; env: Record<string, string>; close(): Promise<void> }>,
][] = [
  [
    'connection refused',
    async () => {
      // Bind a port, then free it: nothing listens there any more.
      const probe = await fakePostgres('hang');
      await probe.close();
      return { url: probe.url, env: {}, close: async () => {} };
    },
  ],
  ['connect timeout', async () => ({ ...(await fakePostgres('hang')), env: { DB_CONNECT_TIMEOUT_S: '1' } })],
  ['too many connections (53300)', async () => ({ ...(await fakePostgres('too-many')), env: {} })],
];

describe.each(outages)('with the database failing by %s', (_name, start) => {
  let outage: Awaited<ReturnType<(typeof outages)[number][1]>>;
  let database: DatabaseHandle;
  let t: TestApp;

  beforeAll(async () => {
    outage = await start();
    database = openPostgres(loadConfig(outage.env), outage.url);
    t = createTestApp(database, { env: outage.env, override: { principalCache: cachedPrincipals() } });
  });
  afterAll(async () => {
    await database.close();
    await outage.close();
  });

  it('every route class that needs it answers 503 database-unavailable with Retry-After, never 500', async () => {
    const answers = await Promise.all(
      routeClasses.map(async (route) => [route.name, await route.send(t)] as const),
    );
    for (const [name, res] of answers) await expectDatabaseProblem(res, name);
  });

  it('/v1 answers 503 in its own error shape, /ready 503, /health 200 throughout', async () => {
    await expectResponsive(
      () => t.request('/health'),
      async () => {
        const res = await t.as(`new-v1-${randomUUID()}`, '/v1/models');
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        const body = (await res.json()) as { error: { type: string; code: string } };
        expect(body.error).toMatchObject({ type: 'server_error', code: 'database_unavailable' });
        expect((await t.request('/ready')).status).toBe(503);
      },
    );
  });

  it('logs why, with the driver code', async () => {
    const before = t.logs.length;
    await (await t.as(KNOWN, '/documents')).arrayBuffer();
    const logged = t.logs.slice(before).find((l) => l.msg === 'database unavailable');
    expect(logged).toMatchObject({ level: 'warn', reason: expect.stringMatching(/^unreachable/) });
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('DB_STATEMENT_TIMEOUT_MS on PostgreSQL', () => {
  let migrated: Awaited<ReturnType<typeof openTestDatabase>>;
  let database: DatabaseHandle;
  let t: TestApp;
  const env = { DB_STATEMENT_TIMEOUT_MS: '300' };

  beforeAll(async () => {
    migrated = await openTestDatabase('postgres');
    database = openPostgres(loadConfig(env), migrated.url!);
    t = createTestApp(database, { env, override: { principalCache: cachedPrincipals() } });
  });
  afterAll(async () => {
    await database.close();
    await migrated.close();
  });

  it('is set on every connection: a statement beyond it is cancelled by the server (57014)', async () => {
    const started = performance.now();
    const error = await database.db.execute(sql`select pg_sleep(5)`).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(describeDatabaseFailure(error)).toBe('timed out (57014)');
    const [row] = (await database.db.execute(sql`show statement_timeout`)) as unknown as {
      statement_timeout: string;
    }[];
    expect(row?.statement_timeout).toBe('300ms');
  });

  it('a route whose query waits beyond it answers 503 with Retry-After, not 500, and logs the timeout', async () => {
    // Another session holds the documents table, so the route's query waits until its timeout.
    const blocker = postgres(migrated.url!, { max: 1, onnotice: () => {} });
    const locked = blocker.begin(async (tx) => {
      await tx`lock table documents in access exclusive mode`;
      await tx`select pg_sleep(1.5)`;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = t.logs.length;
      const started = performance.now();
      const res = await t.as(KNOWN, '/documents');
      expect(performance.now() - started).toBeLessThan(2500);
      await expectDatabaseProblem(res, 'GET /documents');
      const logged = t.logs.slice(before).find((l) => l.msg === 'database unavailable');
      expect(logged?.reason).toBe('timed out (57014)');
    } finally {
      await locked.catch(() => undefined);
      await blocker.end();
    }
  });

  it('does not apply to migrations, which run on a connection of their own', async () => {
    const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    const name = `cairn_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await admin.unsafe(`create database ${name}`);
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    // 1 ms: any statement of the migrations would be cancelled if the limit applied to them.
    const strict = openPostgres(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '1' }), url.toString());
    try {
      await expect(strict.migrate()).resolves.toBeUndefined();
    } finally {
      await strict.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe('which database errors are a 503', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('Hyperdrive pool errors, statement and lock timeouts are; a failed query is not', () => {
    for (const error of [
      pgError('58000', 'Failed to acquire a connection from the pool.'),
      pgError('58000', 'Server connection attempt failed: connection_refused'),
      pgError('57014', 'canceling statement due to statement timeout'),
      pgError('55P03', 'canceling statement due to lock timeout'),
      // drizzle wraps the driver's error as `cause`.
      Object.assign(new Error('Failed query: select 1'), { cause: pgError('53300', 'too many clients') }),
    ])
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
    expect(isDatabaseUnavailable(pgError('58000', 'Internal error.'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('42P01', 'relation "nope" does not exist'))).toBe(false);
    expect(describeDatabaseFailure(pgError('55P03', 'lock timeout'))).toBe('timed out (55P03)');
  });
});
