import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { type DatabaseHandle, openPostgres } from '../../../src/node/open-database.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { createGuardProbe } from '../../helpers/guard-probe.ts';
import { postJson } from '../../helpers/json-request.ts';
import { createTestApp, type TestApp, useTestDatabase } from '../../helpers/test-app.ts';

// Two app instances, each with its own connection pool (PGlite has one connection, so there
// they share the handle), both keeping guard state in the same database.
describe.each(databaseKinds)('two instances sharing one %s database', (kind) => {
  const database = useTestDatabase(kind);
  let secondPool: DatabaseHandle;
  beforeAll(() => {
    secondPool =
      kind === 'postgres' ? openPostgres(loadConfig({ DB_POOL_MAX: '10' }), database.url) : database;
  });
  afterAll(async () => {
    if (secondPool !== database) await secondPool.close();
  });

  function instances(policies: string) {
    const now = new Date(Date.UTC(2026, 0, 1, 12));
    return [database, secondPool].map((handle) => {
      const probe = createGuardProbe();
      const app = createTestApp(handle, {
        env: {
          RATE_LIMIT_BACKEND: 'postgres',
          IDEMPOTENCY_BACKEND: 'postgres',
          RATE_LIMIT_POLICIES: policies,
        },
        llm: probe.llm,
        override: { now: () => now },
      });
      probe.mount(app.app);
      return { app, probe };
    });
  }
  const post = (app: TestApp, user: string, key?: string) =>
    app.as(
      user,
      '/test/probe',
      postJson({ text: 'Shared state, please.' }, key ? { 'Idempotency-Key': key } : {}),
    );

  it('enforce one rate limit: exactly `limit` of a burst spread over both pass', async () => {
    const [a, b] = instances('model:6/1m');
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post((i % 2 ? a! : b!).app, 'erin').then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(14);
    const last = await post(a!.app, 'erin');
    expect(last.headers.get('RateLimit')).toBe('"model-1m";r=0;t=60');
  });

  it('share one key space: a key running on one is 409 on the other, then replayed there', async () => {
    const [a, b] = instances('model:100/1m');
    const held = a!.probe.hold();
    const first = post(a!.app, 'frank', 'shared-1');
    await held.entered;
    expect((await post(b!.app, 'frank', 'shared-1')).status).toBe(409);
    held.release();
    expect((await first).status).toBe(201);
    const replay = await post(b!.app, 'frank', 'shared-1');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(a!.probe.modelCalls() + b!.probe.modelCalls()).toBe(1);
  });

  it('run N concurrent identical requests spread over both exactly once', async () => {
    const [a, b] = instances('model:100/1m');
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post((i % 2 ? a! : b!).app, 'gina', 'shared-2')),
    );
    expect(a!.probe.modelCalls() + b!.probe.modelCalls()).toBe(1);
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
  });
});
