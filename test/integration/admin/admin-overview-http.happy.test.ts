import { describe, expect, it } from 'vitest';
import { getOverviewRoute } from '../../../src/admin/overview/overview.routes.ts';
import {
  createHttpRequestStatsAccumulator,
  upsertHttpRequestStats,
} from '../../../src/usage/http-request-stats.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const DAY_MS = 86_400_000;

describe.each(databaseKinds)('GET /admin/overview, HTTP requests, on %s', (kind) => {
  // Every request of this block is counted: it owns its database and asserts exact figures.
  const t = useTestApp(kind);

  it('counts answered requests per day, merges instances and estimates percentiles from buckets', async () => {
    // Yesterday, as two instances would have written it: the same minute, route and status twice.
    const yesterday = new Date(Date.now() - DAY_MS);
    for (const latencies of [
      [3, 4, 40],
      [45, 48],
    ]) {
      const stats = createHttpRequestStatsAccumulator();
      for (const latencyMs of latencies)
        stats.add({ at: yesterday, method: 'GET', route: '/documents', status: 200, latencyMs });
      await upsertHttpRequestStats(t.deps.db, stats.drain());
    }
    const failed = createHttpRequestStatsAccumulator();
    failed.add({ at: yesterday, method: 'POST', route: '/analyze', status: 503, latencyMs: 7000 });
    await upsertHttpRequestStats(t.deps.db, failed.drain());

    // Today: real requests through the app; probes are not counted.
    for (let i = 0; i < 3; i++) expect((await t.as('http-user', '/me')).status).toBe(200);
    expect((await t.as('http-user', '/documents?limit=0')).status).toBe(400);
    expect((await t.request('/health')).status).toBe(200);
    await t.deps.usage.flush();

    const body = await readBody(
      await t.as('http-admin', '/admin/overview?days=2', { role: 'admin' }),
      getOverviewRoute,
      200,
    );
    const [before, today] = body.http.daily;
    expect(before).toMatchObject({ requests: 6, server_errors: 1, client_errors: 0 });
    expect(before!.error_rate).toBeCloseTo(1 / 6, 10);
    // Ranks 3 and 5.7 of 6 fall in the 25-50 ms bucket (3 of its requests above the 2 below 5 ms)
    // and the 5-10 s bucket.
    expect(before!.latency_p50_ms).toBeCloseTo(25 + (25 * (3 - 2)) / 3, 10);
    expect(before!.latency_p95_ms).toBeCloseTo(5000 + 5000 * 0.7, 10);
    expect(today).toMatchObject({ requests: 4, server_errors: 0, client_errors: 1, error_rate: 0 });
    expect(today!.latency_p50_ms).not.toBeNull();
    expect(body.http.totals).toMatchObject({ requests: 10, server_errors: 1, client_errors: 1 });
    expect(body.http.totals.error_rate).toBeCloseTo(0.1, 10);
  });
});
