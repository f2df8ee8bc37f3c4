import { describe, expect, it } from 'vitest';
import { getUsageBreakdownRoute } from '../../../src/admin/usage/usage.routes.ts';
import { encodeCursor } from '../../../src/http/pagination.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';
import { storeUsage } from './admin-fixtures.ts';

const usage = async (t: TestApp, query: string) =>
  readBody(
    await t.as('usage-admin', `/admin/usage?${query}`, { role: 'admin' }),
    getUsageBreakdownRoute,
    200,
  );

describe.each(databaseKinds)('GET /admin/usage on %s', (kind) => {
  // Each test narrows to users (or a period) of its own, so they share the database.
  const t = useTestApp(kind);

  it('groups by user with every figure, users by key, one page at a time', async () => {
    await storeUsage(t, [
      { userId: 'ub-alice', tokensIn: 100, tokensOut: 50, costUsd: '0.25', latencyMs: 10 },
      {
        userId: 'ub-alice',
        tokensIn: 1,
        tokensOut: 2,
        costUsd: '0.5',
        latencyMs: 30,
        status: 'upstream_error',
      },
      { userId: 'ub-bob', tokensIn: 7, tokensOut: 0, costUsd: '0', latencyMs: 5 },
      { userId: 'ub-carol', tokensIn: 3, tokensOut: 3, costUsd: '0.125', latencyMs: 8 },
    ]);
    const first = await usage(t, 'group_by=user&limit=2&model=local/cairn-local&route=/analyze');
    expect(first.group_by).toBe('user');
    const mine = first.items.filter((g) => g.key?.startsWith('ub-'));
    expect(first.items.map((g) => g.key)).toEqual([...first.items.map((g) => g.key)].sort());
    expect(first.next_cursor).not.toBeNull();
    // Walk every page, collecting this test's users.
    const all = [...first.items];
    let cursor = first.next_cursor;
    while (cursor) {
      const page = await usage(
        t,
        `group_by=user&limit=2&model=local/cairn-local&route=/analyze&cursor=${cursor}`,
      );
      all.push(...page.items);
      cursor = page.next_cursor;
    }
    expect(new Set(all.map((g) => g.key)).size).toBe(all.length);
    const alice = all.find((g) => g.key === 'ub-alice');
    expect(alice).toEqual({
      key: 'ub-alice',
      requests: 2,
      model_calls: 2,
      failed_model_calls: 1,
      model_call_latency_p50_ms: 20,
      model_call_latency_p95_ms: 29,
      tokens_in: 101,
      tokens_out: 52,
      cost_usd: 0.75,
    });
    expect(all.map((g) => g.key).filter((k) => k?.startsWith('ub-'))).toEqual([
      'ub-alice',
      'ub-bob',
      'ub-carol',
    ]);
    expect(mine.length).toBeLessThanOrEqual(2);
  });

  it('groups one user by model and by day, newest day first, inside from..to', async () => {
    const day = (d: string) => new Date(`${d}T12:00:00Z`);
    await storeUsage(t, [
      { userId: 'ub-dana', createdAt: day('2026-01-01'), model: 'm-1', costUsd: '1' },
      { userId: 'ub-dana', createdAt: day('2026-01-02'), model: 'm-2', costUsd: '2' },
      { userId: 'ub-dana', createdAt: day('2026-01-02'), model: 'm-2', costUsd: '2' },
      { userId: 'ub-dana', createdAt: day('2026-01-05'), model: 'm-1', costUsd: '100' },
    ]);
    const byModel = await usage(t, 'group_by=model&user_id=ub-dana&from=2026-01-01&to=2026-01-03');
    expect(byModel).toMatchObject({ from: '2026-01-01', to: '2026-01-03', next_cursor: null });
    expect(byModel.items.map((g) => [g.key, g.model_calls, g.cost_usd])).toEqual([
      ['local/m-1', 1, 1],
      ['local/m-2', 2, 4],
    ]);
    const byDay = await usage(t, 'group_by=day&user_id=ub-dana&from=2026-01-01&to=2026-01-05&limit=2');
    expect(byDay.items.map((g) => g.key)).toEqual(['2026-01-05', '2026-01-02']);
    const rest = await usage(
      t,
      `group_by=day&user_id=ub-dana&from=2026-01-01&to=2026-01-05&limit=2&cursor=${byDay.next_cursor}`,
    );
    expect(rest.items.map((g) => g.key)).toEqual(['2026-01-01']);
    expect(rest.next_cursor).toBeNull();
  });

  it('groups calls outside a route under a null key, last', async () => {
    await storeUsage(t, [
      { userId: 'ub-erin', route: null },
      { userId: 'ub-erin', route: '/search' },
    ]);
    const page = await usage(t, 'group_by=route&user_id=ub-erin&limit=1');
    expect(page.items.map((g) => g.key)).toEqual(['/search']);
    const last = await usage(t, `group_by=route&user_id=ub-erin&limit=1&cursor=${page.next_cursor}`);
    expect(last).toMatchObject({ items: [{ key: null, model_calls: 1 }], next_cursor: null });
    // A cursor at the null group (issued when more rows followed it on a page) has nothing after it.
    const after = await usage(t, `group_by=route&user_id=ub-erin&cursor=${encodeCursor({ k: null })}`);
    expect(after).toMatchObject({ items: [], next_cursor: null });
  });
});
