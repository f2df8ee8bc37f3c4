import { describe, expect, it } from 'vitest';
import { getOverviewRoute } from '../../../src/admin/overview/overview.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { storeDeadJob, storeUsage } from './admin-fixtures.ts';

const DAY_MS = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);

describe.each(databaseKinds)('GET /admin/overview on %s', (kind) => {
  // The overview sums the whole database: this block owns its database and asserts exact figures.
  const t = useTestApp(kind);

  it('sums model calls, failures, latency percentiles, tokens and cost per day and in total', async () => {
    const now = Date.now();
    const yesterday = new Date(now - DAY_MS);
    const shared = '00000000-0000-4000-8000-000000000001';
    await storeUsage(t, [
      {
        latencyMs: 100,
        tokensIn: 10,
        tokensOut: 5,
        costUsd: '0.01',
        serverRequestId: shared,
        userId: 'ov-a',
      },
      {
        latencyMs: 200,
        tokensIn: 20,
        tokensOut: 5,
        costUsd: '0.02',
        serverRequestId: shared,
        userId: 'ov-a',
      },
      { latencyMs: 300, status: 'timeout', tokensIn: 0, tokensOut: 0, costUsd: '0', userId: 'ov-b' },
      { latencyMs: 400, status: 'cancelled', tokensIn: 1, tokensOut: 1, costUsd: '0', userId: 'ov-b' },
      { latencyMs: 1000, createdAt: yesterday, tokensIn: 7, tokensOut: 3, costUsd: '0.5', userId: 'ov-c' },
      // Outside a 2-day window.
      { latencyMs: 9000, createdAt: new Date(now - 5 * DAY_MS), costUsd: '9' },
    ]);
    await storeDeadJob(t);
    await t.as('ov-active', '/me');

    const body = await readBody(
      await t.as('ov-admin', '/admin/overview?days=2', { role: 'admin' }),
      getOverviewRoute,
      200,
    );
    expect(body.to).toBe(today());
    expect(body.daily.map((d) => d.day)).toEqual([yesterday.toISOString().slice(0, 10), today()]);
    const [before, now_] = body.daily;
    expect(now_).toMatchObject({
      requests: 3,
      model_calls: 4,
      failed_model_calls: 1,
      model_call_error_rate: 0.25,
      model_call_latency_p50_ms: 250,
      tokens_in: 31,
      tokens_out: 11,
    });
    expect(now_!.cost_usd).toBeCloseTo(0.03, 10);
    expect(now_!.model_call_latency_p95_ms).toBeCloseTo(385, 5);
    expect(before).toMatchObject({ model_calls: 1, failed_model_calls: 0, model_call_latency_p50_ms: 1000 });
    expect(body.totals).toMatchObject({ model_calls: 5, failed_model_calls: 1, requests: 4, tokens_in: 38 });
    expect(body.totals.model_call_error_rate).toBeCloseTo(0.2, 10);
    expect(body.totals.cost_usd).toBeCloseTo(0.53, 10);
    // Two admins and one user signed in just now.
    expect(body.active_users).toEqual({ last_day: 2, last_7_days: 2, last_30_days: 2 });
    expect(body.queue).toEqual({ queued: 0, running: 0, dead: 1 });
  });

  it('answers a day without calls with zeros and null rates', async () => {
    const body = await readBody(
      await t.as('ov-admin', '/admin/overview?days=1', { role: 'admin' }),
      getOverviewRoute,
      200,
    );
    expect(body.daily).toHaveLength(1);
    expect(body.from).toBe(body.to);
  });
});
