import { beforeAll, describe, expect, it } from 'vitest';
import { createGuardProbe } from '../../helpers/guard-probe.ts';
import { useTestApp } from '../../helpers/test-app.ts';

/** A test app with the guard probe mounted (POST /test/probe makes one counted model call). */
function useProbedApp(env: Record<string, string> = {}) {
  const probe = createGuardProbe();
  const t = useTestApp('pglite', { env, llm: probe.llm });
  beforeAll(() => probe.mount(t.app));
  const post = (sub: string, key: string, text = 'hi') =>
    t.as(sub, '/test/probe', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ text }),
    });
  return { t, probe, post };
}

describe('guard rejections', () => {
  const { t, probe, post } = useProbedApp({ RATE_LIMIT_POLICIES: 'model:4/1m' });

  it('are each logged with their reason and counted', async () => {
    const held = probe.hold();
    const running = post('kim', 'k1');
    await held.entered;
    expect((await post('kim', 'k1')).status).toBe(409);
    held.release();
    await running;
    expect((await post('kim', 'k1', 'other')).status).toBe(422);
    expect((await post('kim', 'bad key')).status).toBe(400);
    expect((await post('kim', 'k1')).status).toBe(429);

    const rejected = t.logs.filter((l) => l.msg === 'request rejected');
    expect(rejected.map((l) => [l.guard, l.reason])).toEqual([
      ['idempotency', 'in-flight'],
      ['idempotency', 'mismatch'],
      ['idempotency', 'invalid-key'],
      ['rate-limit', 'quota-exceeded'],
    ]);
    expect(rejected.every((l) => l.level === 'warn' && typeof l.request_id === 'string')).toBe(true);
    expect(rejected.at(-1)).toMatchObject({ subject: 'model:user:kim', violated_policies: ['model-1m'] });
    expect(t.deps.guards.metrics.snapshot()).toEqual(
      expect.arrayContaining([
        { guard: 'idempotency', outcome: 'in-flight', count: 1 },
        { guard: 'idempotency', outcome: 'mismatch', count: 1 },
        { guard: 'idempotency', outcome: 'invalid-key', count: 1 },
        { guard: 'rate-limit', outcome: 'quota-exceeded', count: 1 },
      ]),
    );
  });
});

// Its own app: the metrics it asserts on count every request the app has seen.
describe('guard metrics', () => {
  const { t, probe, post } = useProbedApp();

  it('count replays and released keys too', async () => {
    probe.failNext(502);
    await post('lee', 'k');
    await post('lee', 'k');
    await post('lee', 'k');
    expect(t.deps.guards.metrics.snapshot()).toEqual([
      { guard: 'idempotency', outcome: 'released-502', count: 1 },
      { guard: 'idempotency', outcome: 'replayed', count: 1 },
    ]);
  });
});
