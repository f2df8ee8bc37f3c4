// `npm run bench -- guards [--seconds 2] [--clients 1,16,64] [--backends memory,pglite,postgres]`
// Cost the guards add per request on each backend: store operations and the whole middleware,
// p50/p99 in µs at each client count, and the rate each sustains (closed loop, this machine).
// PostgreSQL runs when TEST_DATABASE_URL is set (a fresh database is created beside it).
import { parseArgs } from 'node:util';
import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import { requireAuth } from '../src/auth/auth.middleware.ts';
import { guarded } from '../src/guards/guarded.middleware.ts';
import type { IdempotencyStore } from '../src/guards/idempotency/idempotency-store.ts';
import { createMemoryIdempotencyStore } from '../src/guards/memory/memory-idempotency-store.ts';
import { createMemoryRateLimiter } from '../src/guards/memory/memory-rate-limiter.ts';
import { createPostgresIdempotencyStore } from '../src/guards/postgres/postgres-idempotency-store.ts';
import { createPostgresRateLimiter } from '../src/guards/postgres/postgres-rate-limiter.ts';
import type { RateLimiter } from '../src/guards/rate-limit/rate-limiter.ts';
import type { DatabaseHandle } from '../src/node/open-database.ts';
import { type DatabaseKind, openTestDatabase } from '../test/helpers/databases.ts';
import { createTestApp } from '../test/helpers/test-app.ts';
import { closedLoop, quantile } from './_closed-loop.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '1,16,64' },
    backends: { type: 'string' },
  },
});
const durationMs = Number(values.seconds) * 1000;
const clientCounts = values.clients.split(',').map(Number);
const backends = (
  values.backends ?? `memory,pglite${process.env.TEST_DATABASE_URL ? ',postgres' : ''}`
).split(',');

interface Result {
  backend: string;
  operation: string;
  clients: number;
  p50_us: number;
  p99_us: number;
  ops_per_s: number;
}

/** Runs `op` from `clients` closed loops for durationMs after a warm-up; latency per call. */
async function measure(op: (client: number, i: number) => Promise<unknown>, clients: number) {
  const { samples, opsPerS } = await closedLoop(clients, op, {
    durationMs,
    warmupMs: Math.min(500, durationMs / 4),
  });
  const us = (q: number) => Math.round(quantile(samples, q) * 1000);
  return { p50_us: us(0.5), p99_us: us(0.99), ops_per_s: opsPerS };
}

const policies = [{ name: 'bench-1m', limit: 1_000_000_000, windowS: 60 }];
const reply = {
  status: 200,
  headers: [['content-type', 'application/json']] as [string, string][],
  body: new Uint8Array(512),
};

function storeOperations(run: string, limiter: RateLimiter, store: IdempotencyStore) {
  const claim = (key: string, lease: string) =>
    store.begin({ key, fingerprint: 'fp', lease, now: Date.now(), lockTtlS: 60, ttlS: 3600 });
  const claimAndStore = async (key: string) => {
    await claim(key, key);
    await store.complete({ key, lease: key, response: reply, now: Date.now(), ttlS: 3600 });
  };
  return {
    'rate-limit hit': (c: number) => limiter.hit({ key: `${run}:rl:${c}`, policies, now: Date.now() }),
    'rate-limit hit, one hot key': () => limiter.hit({ key: `${run}:hot`, policies, now: Date.now() }),
    'idempotency claim + store': (c: number, i: number) => claimAndStore(`${run}:id:${c}:${i}`),
    'idempotency replay': async (c: number) => {
      const key = `${run}:replay:${c}`;
      if ((await claim(key, key)).kind === 'acquired') {
        await store.complete({ key, lease: key, response: reply, now: Date.now(), ttlS: 3600 });
      }
    },
    'both guards (hit + claim + store)': async (c: number, i: number) => {
      await limiter.hit({ key: `${run}:rq:${c}`, policies, now: Date.now() });
      await claimAndStore(`${run}:rq:${c}:${i}`);
    },
  } satisfies Record<string, (c: number, i: number) => Promise<unknown>>;
}

const echo = (path: string, guards: Pick<RouteConfig, 'security' | 'middleware'>) =>
  createRoute({
    method: 'post',
    path,
    ...guards,
    request: { body: { content: { 'application/json': { schema: z.object({ n: z.number() }) } } } },
    responses: {
      200: { description: 'Echo', content: { 'application/json': { schema: z.object({ n: z.number() }) } } },
    },
  });

/** The middleware end to end: the same route with and without rate limit + idempotency. */
async function middlewareOperations(run: string, database: DatabaseHandle, backend: 'memory' | 'postgres') {
  const { app, token } = createTestApp(database, {
    env: {
      RATE_LIMIT_BACKEND: backend,
      IDEMPOTENCY_BACKEND: backend,
      RATE_LIMIT_POLICIES: 'model:999999999/1m',
      LOG_LEVEL: 'error',
    },
  });
  for (const route of [
    echo('/bench/guarded', guarded({ routeClass: 'model', idempotent: true })),
    echo('/bench/auth-only', { security: [{ bearerAuth: [] }], middleware: [requireAuth()] }),
  ]) {
    app.openapi(route, (c) => c.json(c.req.valid('json'), 200));
  }
  const bearer = `Bearer ${await token('bench')}`;
  const send = async (path: string, key?: string) => {
    const res = await app.request(path, {
      method: 'POST',
      headers: {
        Authorization: bearer,
        'Content-Type': 'application/json',
        ...(key ? { 'Idempotency-Key': key } : {}),
      },
      body: '{"n":1}',
    });
    await res.arrayBuffer();
  };
  await send('/bench/auth-only');
  return {
    'http: auth only (baseline)': () => send('/bench/auth-only'),
    'http: auth + rate limit + idempotency': (c: number, i: number) =>
      send('/bench/guarded', `${run}-${c}-${i}`),
  };
}

async function openBackend(name: string) {
  if (name === 'memory') {
    const database = await openTestDatabase('pglite');
    return {
      database,
      limiter: createMemoryRateLimiter(),
      store: createMemoryIdempotencyStore(),
      http: 'memory' as const,
    };
  }
  const database = await openTestDatabase(name as DatabaseKind);
  return {
    database,
    limiter: createPostgresRateLimiter(database.db),
    store: createPostgresIdempotencyStore(database.db),
    http: 'postgres' as const,
  };
}

const results: Result[] = [];
for (const backend of backends) {
  const { database, limiter, store, http } = await openBackend(backend);
  const run = `bench-${Date.now()}`;
  const operations = {
    ...storeOperations(run, limiter, store),
    ...(await middlewareOperations(run, database, http)),
  };
  for (const [operation, op] of Object.entries(operations)) {
    for (const clients of clientCounts) {
      const figures = await measure(op, clients);
      results.push({ backend, operation, clients, ...figures });
      console.error(
        `${backend} · ${operation} · ${clients} clients: p50 ${figures.p50_us} µs, p99 ${figures.p99_us} µs, ${figures.ops_per_s}/s`,
      );
    }
  }
  await database.close();
}

const sustained = backends.map((backend) => {
  const best = (operation: string) =>
    Math.max(
      ...results.filter((r) => r.backend === backend && r.operation === operation).map((r) => r.ops_per_s),
    );
  return {
    backend,
    max_rate_limit_hits_per_s: best('rate-limit hit'),
    max_guarded_requests_per_s: best('both guards (hit + claim + store)'),
  };
});

console.log(
  JSON.stringify({ benchmark: 'guards', seconds_per_level: durationMs / 1000, results, sustained }, null, 2),
);
const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(
  `\n${'backend'.padEnd(9)}${'operation'.padEnd(40)}${pad('clients', 8)}${pad('p50 µs', 10)}${pad('p99 µs', 10)}${pad('ops/s', 10)}`,
);
for (const r of results) {
  console.log(
    `${r.backend.padEnd(9)}${r.operation.padEnd(40)}${pad(r.clients, 8)}${pad(r.p50_us, 10)}${pad(r.p99_us, 10)}${pad(r.ops_per_s, 10)}`,
  );
}
console.log('\nmax sustained (closed loop, best client count):');
for (const s of sustained) {
  console.log(
    `  ${s.backend}: ${s.max_rate_limit_hits_per_s} rate-limit hits/s, ${s.max_guarded_requests_per_s} guarded requests/s (store side)`,
  );
}
