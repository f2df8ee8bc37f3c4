import { beforeAll, describe, expect, it } from 'vitest';
import { insertUsageEvents } from '../../../src/usage/insert-usage-events.ts';
import { getUsageRoute } from '../../../src/usage/usage.routes.ts';
import type { UsageEvent } from '../../../src/usage/usage-sink.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const event = (overrides: Partial<UsageEvent>): UsageEvent => ({
  at: new Date('2026-03-10T12:00:00Z'),
  requestId: 'r',
  userId: 'gina',
  route: '/analyze',
  provider: 'openai',
  model: 'gpt-4o-mini',
  operation: 'chat',
  tokensIn: 100,
  tokensOut: 10,
  cachedTokensIn: 0,
  reasoningTokens: 0,
  tokensEstimated: false,
  costUsd: 0.001,
  priced: true,
  latencyMs: 50,
  attempts: 1,
  status: 'ok',
  ...overrides,
});

describe.each(databaseKinds)('GET /usage on %s', (kind) => {
  const t = useTestApp(kind);

  beforeAll(async () => {
    await insertUsageEvents(t.deps.db, [
      event({ requestId: 'a', at: new Date('2026-03-09T23:59:59Z') }),
      event({ requestId: 'b', at: new Date('2026-03-10T00:00:00Z') }),
      // One request, two calls (a repaired /analyze).
      event({ requestId: 'c', at: new Date('2026-03-10T08:00:00Z'), model: 'gpt-4o', costUsd: 0.01 }),
      event({
        requestId: 'c',
        at: new Date('2026-03-10T08:00:01Z'),
        model: 'gpt-4o',
        costUsd: 0.02,
        tokensOut: 20,
      }),
      event({
        requestId: 'd',
        at: new Date('2026-03-12T10:00:00Z'),
        provider: 'local',
        model: 'local',
        costUsd: 0,
      }),
      event({ requestId: 'e', at: new Date('2026-03-20T10:00:00Z') }),
    ]);
  });

  it('totals the period by UTC day and by model', async () => {
    const res = await t.as('gina', '/usage?from=2026-03-09&to=2026-03-12');
    const body = await readBody(res, getUsageRoute, 200);
    expect(body).toMatchObject({ user_id: 'gina', from: '2026-03-09', to: '2026-03-12' });
    expect(body.totals).toMatchObject({ requests: 4, calls: 5, tokens_in: 500, tokens_out: 60 });
    expect(body.totals.cost_usd).toBeCloseTo(0.032, 10);
    expect(body.by_day.map((d) => [d.day, d.calls])).toEqual([
      ['2026-03-09', 1],
      ['2026-03-10', 3],
      ['2026-03-12', 1],
    ]);
    expect(body.by_model.map((m) => [m.provider, m.model, m.calls, m.requests])).toEqual([
      ['openai', 'gpt-4o', 2, 1],
      ['openai', 'gpt-4o-mini', 2, 2],
      ['local', 'local', 1, 1],
    ]);
  });

  it('defaults to the 30 days up to today', async () => {
    await t.as('hank', '/analyze', postJson({ text: 'A short and pleasant note.' }));
    await t.deps.usage.flush();
    const body = await readBody(await t.as('hank', '/usage'), getUsageRoute, 200);
    const today = new Date().toISOString().slice(0, 10);
    expect(body.to).toBe(today);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(29 * 86_400_000);
    expect(body.totals.calls).toBe(1);
    expect(body.by_day).toEqual([expect.objectContaining({ day: today, calls: 1 })]);
    expect(body.by_model).toEqual([expect.objectContaining({ provider: 'local', model: 'local' })]);
  });

  it('reports zeros for a caller without usage', async () => {
    const body = await readBody(await t.as('newcomer', '/usage'), getUsageRoute, 200);
    expect(body.totals).toEqual({ requests: 0, calls: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0 });
    expect(body.by_day).toEqual([]);
    expect(body.by_model).toEqual([]);
  });
});
