import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createGuardMetrics } from '../../../src/guards/guard-metrics.ts';
import type { Guards } from '../../../src/guards/guards.ts';
import { createMemoryIdempotencyStore } from '../../../src/guards/memory/memory-idempotency-store.ts';
import { createMemoryRateLimiter } from '../../../src/guards/memory/memory-rate-limiter.ts';
import { createPostgresIdempotencyStore } from '../../../src/guards/postgres/postgres-idempotency-store.ts';
import { createPostgresRateLimiter } from '../../../src/guards/postgres/postgres-rate-limiter.ts';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { openPglite, openPostgres } from '../../../src/node/open-database.ts';
import { openTestDatabase } from '../../helpers/databases.ts';
import { createGuardProbe } from '../../helpers/guard-probe.ts';
import { postJson } from '../../helpers/json-request.ts';
import { createTestApp, expectProblem, useTestDatabase } from '../../helpers/test-app.ts';

// The app's own database; the failing stores under test live elsewhere.
const database = useTestDatabase('pglite');
let closed: DatabaseHandle;
beforeAll(async () => {
  // A PostgreSQL that has gone away: every query on it fails.
  closed = await openPglite(undefined);
  await closed.close();
});

const down = (db: DatabaseHandle['db']) => ({
  rateLimiter: createPostgresRateLimiter(db),
  idempotency: createPostgresIdempotencyStore(db),
});
const working = () => ({
  rateLimiter: createMemoryRateLimiter(),
  idempotency: createMemoryIdempotencyStore(),
});

/** An app for one test, with these guard stores, acting as `sub`. */
function setup(sub: string, guards: Omit<Guards, 'metrics'>, env: Record<string, string> = {}) {
  const probe = createGuardProbe();
  const metrics = createGuardMetrics();
  const app = createTestApp(database, {
    env: { RATE_LIMIT_POLICIES: 'model:100/1m;read:100/1m', ...env },
    llm: probe.llm,
    override: { guards: { ...guards, metrics } },
  });
  probe.mount(app.app);
  const post = (key?: string) =>
    app.as(sub, '/test/probe', postJson({ text: 'hello' }, key ? { 'Idempotency-Key': key } : {}));
  const failures = () => app.logs.filter((l) => l.msg === 'guard store failed');
  return { app, probe, metrics, post, failures };
}

describe('when the rate limiter store fails', () => {
  it('fails open by default: the request runs without RateLimit headers, logged and counted', async () => {
    const { post, probe, metrics, failures } = setup('rate-limit-open', {
      ...working(),
      rateLimiter: down(closed.db).rateLimiter,
    });
    const res = await post();
    expect(res.status).toBe(201);
    expect(res.headers.get('RateLimit')).toBeNull();
    expect(probe.modelCalls()).toBe(1);
    expect(failures()).toMatchObject([{ level: 'error', guard: 'rate-limit', failure_mode: 'open' }]);
    expect(metrics.snapshot()).toEqual([{ guard: 'rate-limit', outcome: 'store-failed-open', count: 1 }]);
  });

  it('fails closed when configured: 503 with Retry-After, and the route never runs', async () => {
    const { post, probe, metrics } = setup(
      'rate-limit-closed',
      { ...working(), rateLimiter: down(closed.db).rateLimiter },
      { RATE_LIMIT_FAILURE_MODE: 'closed' },
    );
    const res = await post();
    expect(res.headers.get('Retry-After')).toBe('1');
    expect((await expectProblem(res, 503)).detail).toContain('Rate limiting is unavailable');
    expect(probe.modelCalls()).toBe(0);
    expect(metrics.snapshot()).toEqual([{ guard: 'rate-limit', outcome: 'store-failed-closed', count: 1 }]);
  });
});

describe('when the idempotency store fails', () => {
  it('fails closed by default: 503, no model call', async () => {
    const { post, probe, failures } = setup('idempotency-closed', {
      ...working(),
      idempotency: down(closed.db).idempotency,
    });
    await expectProblem(await post('k-1'), 503);
    expect(probe.modelCalls()).toBe(0);
    expect(failures()).toMatchObject([{ guard: 'idempotency', failure_mode: 'closed' }]);
  });

  it('fails open when configured: the request runs without its key', async () => {
    const { post, probe, metrics } = setup(
      'idempotency-open',
      { ...working(), idempotency: down(closed.db).idempotency },
      { IDEMPOTENCY_FAILURE_MODE: 'open' },
    );
    expect((await post('k-2')).status).toBe(201);
    expect((await post('k-2')).headers.get('Idempotent-Replayed')).toBeNull();
    expect(probe.modelCalls()).toBe(2);
    expect(metrics.snapshot()).toEqual([{ guard: 'idempotency', outcome: 'store-failed-open', count: 2 }]);
  });

  it('leaves requests without a key alone', async () => {
    const { post } = setup('idempotency-no-key', { ...working(), idempotency: down(closed.db).idempotency });
    expect((await post()).status).toBe(201);
  });
});

describe('a store that does not answer in time', () => {
  it('counts as failed after GUARD_TIMEOUT_MS, and a claim that lands late is released', async () => {
    const slow = await openTestDatabase('pglite');
    let unblock = () => {};
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    // PGlite runs one statement at a time: a transaction left open holds every guard query back.
    const holder = slow.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await blocked;
    });
    try {
      const stores = down(slow.db);
      const { post, probe, failures } = setup('slow-store', stores, { GUARD_TIMEOUT_MS: '100' });
      await expectProblem(await post('late-1'), 503);
      expect(probe.modelCalls()).toBe(0);
      expect(failures().map((l) => l.guard)).toEqual(['rate-limit', 'idempotency']);
      unblock();
      await holder;
      // The claim that landed after the timeout must not block the key until its lock lapses.
      await expect.poll(async () => (await post('late-1')).status).toBe(201);
      expect(probe.modelCalls()).toBe(1);
    } finally {
      unblock();
      await holder;
      await slow.close();
    }
  });
});

describe('an unreachable PostgreSQL', () => {
  it('is a store failure like any other (connection refused)', async () => {
    const nowhere = openPostgres(
      loadConfig({ DB_CONNECT_TIMEOUT_S: '2' }),
      'postgres://postgres@127.0.0.1:9/none',
    );
    try {
      const { post, probe } = setup('unreachable-store', down(nowhere.db));
      await expectProblem(await post('k-3'), 503);
      expect((await post()).status).toBe(201);
      expect(probe.modelCalls()).toBe(1);
    } finally {
      await nowhere.close();
    }
  });
});
