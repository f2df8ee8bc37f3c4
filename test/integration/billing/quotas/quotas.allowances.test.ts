import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { settlementsApplied } from '../../../../src/billing/quotas/quota-settlements.ts';
import { reserveQuota } from '../../../../src/billing/quotas/quota-store.ts';
import { rowsOf } from '../../../../src/db/rows.ts';
import { getUsageRoute } from '../../../../src/usage/usage.routes.ts';
import { userOnPlan } from '../../../helpers/billing.ts';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson, readBody } from '../../../helpers/json-request.ts';
import { countingStatements } from '../../../helpers/statement-count.ts';
import { useTestApp } from '../../../helpers/test-app.ts';

const chat = {
  model: 'local',
  messages: [{ role: 'user', content: 'Say something short.' }],
  max_tokens: 16,
};

describe.each(databaseKinds)('usage quota allowances on %s', (kind) => {
  const t = useTestApp(kind);

  const quotaOf = <Q extends { quota: string }>(body: { quotas: Q[] }, quota: string): Q =>
    body.quotas.find((q) => q.quota === quota)!;
  /** The user's row once every settlement of this process has been applied. */
  const counters = async (user: string) => {
    await settlementsApplied(t.deps.db);
    const [row] = rowsOf<{ requests_used: number; requests_reserved: number; tokens_reserved: number }>(
      await t.deps.db.execute(sql`
        select requests_used, requests_reserved, tokens_reserved::int as tokens_reserved
        from quota_usage where user_id = ${user}`),
    );
    return row!;
  };
  /** Sends `waves` rounds of `width` parallel requests, one round after the other. */
  const burst = async (user: string, waves: number, width: number) => {
    const statuses: number[] = [];
    for (let wave = 0; wave < waves; wave++) {
      const answers = await Promise.all(
        Array.from({ length: width }, () => t.as(user, '/v1/chat/completions', postJson(chat))),
      );
      statuses.push(...answers.map((res) => res.status));
    }
    return statuses;
  };

  it('serves a busy user from reserved-ahead blocks, with exact totals and nothing held after GET /usage', async () => {
    await userOnPlan(t.deps.db, 'al-busy', { model_requests_per_day: 1_000, tokens_per_month: 10_000_000 });
    const { result: statuses, count: reservations } = await countingStatements(
      t.deps.db,
      'from cairn_reserve_quota(',
      () => burst('al-busy', 8, 6),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    // The first requests reserve one by one; once the user is busy, one statement covers several.
    expect(reservations).toBeGreaterThan(0);
    expect(reservations).toBeLessThan(48 / 2);

    const usage = await readBody(await t.as('al-busy', '/usage'), getUsageRoute, 200);
    expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({ used: 48, reserved: 0, remaining: 952 });
    expect(quotaOf(usage, 'tokens_per_month')).toMatchObject({ reserved: 0 });
    expect(await counters('al-busy')).toMatchObject({
      requests_used: 48,
      requests_reserved: 0,
      tokens_reserved: 0,
    });
  });

  it('still lets exactly the daily limit through, and never holds ahead more than it leaves free', async () => {
    await userOnPlan(t.deps.db, 'al-limit', { model_requests_per_day: 20 });
    const first = await burst('al-limit', 2, 4);
    expect(first.every((s) => s === 200)).toBe(true);
    // Nothing is in flight: what the row holds reserved is this process's allowance.
    const held = await counters('al-limit');
    expect(held.requests_used).toBe(8);
    expect(held.requests_reserved).toBeGreaterThan(0);
    expect(2 * held.requests_reserved).toBeLessThanOrEqual(20 - 8);

    const rest = await burst('al-limit', 4, 5);
    expect(rest.filter((s) => s === 200)).toHaveLength(12);
    expect(rest.filter((s) => s === 429)).toHaveLength(8);
    const usage = await readBody(await t.as('al-limit', '/usage'), getUsageRoute, 200);
    expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({ used: 20, reserved: 0, remaining: 0 });
  });

  it('reserves a block only while as much again stays free, and reports a shortfall of the estimate alone', async () => {
    const plan = await userOnPlan(t.deps.db, 'al-free', { model_requests_per_day: 10 });
    const three = { modelRequests: 3, agentRuns: 0, tokens: 0, costUsd: 0 };
    const reserve = (keepFree?: typeof three) =>
      reserveQuota(t.deps.db, { userId: 'al-free', plan, amounts: three, reservationTtlS: 900, keepFree });
    expect((await reserve(three)).ok).toBe(true); // 0 + 3 + 3 ≤ 10, on a new row
    expect((await reserve(three)).ok).toBe(true); // 3 + 3 + 3 ≤ 10
    expect((await reserve(three)).ok).toBe(false); // 6 + 3 + 3 > 10
    expect((await reserve()).ok).toBe(true); // 6 + 3 ≤ 10
    const refused = await reserve();
    expect(refused).toMatchObject({
      ok: false,
      shortfall: { quota: 'model_requests_per_day', limit: 10, used: 9, requested: 3 },
    });
  });

  it('hands an idle allowance back on its own', async () => {
    await userOnPlan(t.deps.db, 'al-idle', { model_requests_per_day: 1_000 });
    await burst('al-idle', 4, 6);
    // Nothing is in flight: the row holds this process's allowance, until it idles.
    expect((await counters('al-idle')).requests_reserved).toBeGreaterThan(0);
    await expect
      .poll(async () => (await counters('al-idle')).requests_reserved, { timeout: 5_000, interval: 200 })
      .toBe(0);
    expect((await counters('al-idle')).requests_used).toBe(24);
  });
});
