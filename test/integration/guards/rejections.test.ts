import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { openTestDatabase } from '../../helpers/databases.ts';
import { createGuardProbe } from '../../helpers/guard-probe.ts';
import { createTestApp } from '../../helpers/test-app.ts';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openTestDatabase('pglite');
});
afterAll(() => database.close());

describe('guard rejections', () => {
  it('are each logged with their reason and counted', async () => {
    const probe = createGuardProbe();
    const app = createTestApp(database, {
      env: { RATE_LIMIT_POLICIES: 'model:4/1m' },
      override: { llm: probe.llm },
    });
    probe.mount(app.app);
    const post = (key: string, text = 'hi') =>
      app.as('kim', '/test/probe', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify({ text }),
      });

    const held = probe.hold();
    const running = post('k1');
    await held.entered;
    expect((await post('k1')).status).toBe(409);
    held.release();
    await running;
    expect((await post('k1', 'other')).status).toBe(422);
    expect((await post('bad key')).status).toBe(400);
    expect((await post('k1')).status).toBe(429);

    const rejected = app.logs.filter((l) => l.msg === 'request rejected');
    expect(rejected.map((l) => [l.guard, l.reason])).toEqual([
      ['idempotency', 'in-flight'],
      ['idempotency', 'mismatch'],
      ['idempotency', 'invalid-key'],
      ['rate-limit', 'quota-exceeded'],
    ]);
    expect(rejected.every((l) => l.level === 'warn' && typeof l.request_id === 'string')).toBe(true);
    expect(rejected.at(-1)).toMatchObject({ subject: 'model:user:kim', violated_policies: ['model-1m'] });
    expect(app.deps.guards.metrics.snapshot()).toEqual(
      expect.arrayContaining([
        { guard: 'idempotency', outcome: 'in-flight', count: 1 },
        { guard: 'idempotency', outcome: 'mismatch', count: 1 },
        { guard: 'idempotency', outcome: 'invalid-key', count: 1 },
        { guard: 'rate-limit', outcome: 'quota-exceeded', count: 1 },
      ]),
    );
  });

  it('count replays and released keys too', async () => {
    const probe = createGuardProbe();
    const app = createTestApp(database, { override: { llm: probe.llm } });
    probe.mount(app.app);
    const post = () =>
      app.as('lee', '/test/probe', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k' },
        body: JSON.stringify({ text: 'hi' }),
      });
    probe.failNext(502);
    await post();
    await post();
    await post();
    expect(app.deps.guards.metrics.snapshot()).toEqual([
      { guard: 'idempotency', outcome: 'released-502', count: 1 },
      { guard: 'idempotency', outcome: 'replayed', count: 1 },
    ]);
  });
});
