import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { analyzeTextRoute } from '../../../../src/gateway/analyze/analyze.routes.ts';
import { getUsageRoute } from '../../../../src/usage/usage.routes.ts';
import { userOnPlan } from '../../../helpers/billing.ts';
import { databaseKinds } from '../../../helpers/databases.ts';
import { postJson, readBody } from '../../../helpers/json-request.ts';
import { countingStatements } from '../../../helpers/statement-count.ts';
import { useTestApp } from '../../../helpers/test-app.ts';

const text = 'Acme Corp shipped the new search in Berlin last week. Customers love how fast it is.';

describe.each(databaseKinds)('usage quotas on %s', (kind) => {
  const t = useTestApp(kind);

  const quotaOf = <Q extends { quota: string }>(body: { quotas: Q[] }, quota: string): Q | undefined =>
    body.quotas.find((q) => q.quota === quota);

  it('settles a request with the tokens its model calls used, and GET /usage shows each quota', async () => {
    await userOnPlan(t.deps.db, 'q-ann', { model_requests_per_day: 10, tokens_per_month: 1_000_000 });
    const analysis = await readBody(
      await t.as('q-ann', '/analyze', postJson({ text })),
      analyzeTextRoute,
      200,
    );
    const used = analysis.usage.tokens_in + analysis.usage.tokens_out;

    const usage = await readBody(await t.as('q-ann', '/usage'), getUsageRoute, 200);
    expect(usage.plan).toBe('plan-q-ann');
    expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({
      limit: 10,
      used: 1,
      reserved: 0,
      remaining: 9,
    });
    // Settled with what the call used, not the estimate (input + ANALYZE_MAX_OUTPUT_TOKENS).
    expect(quotaOf(usage, 'tokens_per_month')).toMatchObject({
      limit: 1_000_000,
      used,
      reserved: 0,
      remaining: 1_000_000 - used,
    });
    expect(quotaOf(usage, 'agent_runs_per_day')).toMatchObject({ limit: null, used: 0, remaining: null });
    const day = quotaOf(usage, 'model_requests_per_day')!;
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(day.resets_at).toBe(tomorrow.toISOString());
    // Without a subscription the monthly period is the calendar month (UTC).
    const month = new Date();
    expect(usage.period_start).toBe(
      new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)).toISOString(),
    );
    expect(usage.period_end).toBe(
      new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1)).toISOString(),
    );
    expect(quotaOf(usage, 'tokens_per_month')!.resets_at).toBe(usage.period_end);
  });

  it('settles parallel requests together, in fewer statements, to the exact totals of each user', async () => {
    await userOnPlan(t.deps.db, 'q-par-a', { model_requests_per_day: 100, tokens_per_month: 1_000_000 });
    await userOnPlan(t.deps.db, 'q-par-b', { model_requests_per_day: 100, tokens_per_month: 1_000_000 });
    await countingStatements(t.deps.db, 'requests_reserved = greatest(0', async (settlements) => {
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          t.as(i % 2 ? 'q-par-b' : 'q-par-a', '/analyze', postJson({ text: `${text} (${i})` })),
        ),
      );
      const bodies = await Promise.all(answers.map((res) => readBody(res, analyzeTextRoute, 200)));
      for (const [who, parity] of [
        ['q-par-a', 0],
        ['q-par-b', 1],
      ] as const) {
        const tokens = bodies
          .filter((_, i) => i % 2 === parity)
          .reduce((n, b) => n + b.usage.tokens_in + b.usage.tokens_out, 0);
        const usage = await readBody(await t.as(who, '/usage'), getUsageRoute, 200);
        expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({ used: 12, reserved: 0 });
        expect(quotaOf(usage, 'tokens_per_month')).toMatchObject({ used: tokens, reserved: 0 });
      }
      expect(settlements()).toBeGreaterThan(0);
      // In-process PGlite runs each statement to its end before the next request finishes, so
      // nothing waits to be gathered there; a server's database (a pool, or PGlite's own thread)
      // is still writing one settlement when the next requests end.
      if (kind === 'postgres') expect(settlements()).toBeLessThan(24);
    });
  });

  it("uses the subscription's current period for monthly quotas", async () => {
    await userOnPlan(t.deps.db, 'q-sub', { tokens_per_month: 1_000_000 });
    const start = new Date(Date.now() - 3 * 86_400_000);
    const end = new Date(Date.now() + 27 * 86_400_000);
    await t.deps.db.execute(sql`
      insert into subscriptions (id, user_id, plan, status, current_period_start, current_period_end)
      values (gen_random_uuid(), 'q-sub', 'plan-q-sub', 'active', ${start.toISOString()}, ${end.toISOString()})`);
    await readBody(await t.as('q-sub', '/analyze', postJson({ text })), analyzeTextRoute, 200);
    const usage = await readBody(await t.as('q-sub', '/usage'), getUsageRoute, 200);
    expect(usage.period_start).toBe(start.toISOString());
    expect(quotaOf(usage, 'tokens_per_month')).toMatchObject({ resets_at: end.toISOString() });
    expect(quotaOf(usage, 'tokens_per_month')!.used).toBeGreaterThan(0);
  });

  it('releases the reservation of a request that fails validation, counting nothing', async () => {
    await userOnPlan(t.deps.db, 'q-bad', { model_requests_per_day: 5, tokens_per_month: 100_000 });
    const res = await t.as('q-bad', '/analyze', postJson({ text: '' }));
    expect(res.status).toBe(400);
    const usage = await readBody(await t.as('q-bad', '/usage'), getUsageRoute, 200);
    expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({ used: 0, reserved: 0, remaining: 5 });
    expect(quotaOf(usage, 'tokens_per_month')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('counts an agent run and its model calls', async () => {
    await userOnPlan(t.deps.db, 'q-agent', { agent_runs_per_day: 3, model_requests_per_day: 10 });
    const res = await t.as('q-agent', '/agent/runs', postJson({ input: 'What is 2 + 2?' }));
    expect(res.status).toBe(200);
    const usage = await readBody(await t.as('q-agent', '/usage'), getUsageRoute, 200);
    expect(quotaOf(usage, 'agent_runs_per_day')).toMatchObject({ used: 1, reserved: 0, remaining: 2 });
    expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({ used: 1, reserved: 0 });
    expect(quotaOf(usage, 'tokens_per_month')!.used).toBeGreaterThan(0);
  });

  it('counts search embedding tokens toward tokens, not model requests', async () => {
    await userOnPlan(t.deps.db, 'q-search', { model_requests_per_day: 5, tokens_per_month: 100_000 });
    const res = await t.as('q-search', '/search', postJson({ query: 'fast search in Berlin' }));
    expect(res.status).toBe(200);
    const usage = await readBody(await t.as('q-search', '/usage'), getUsageRoute, 200);
    expect(quotaOf(usage, 'model_requests_per_day')).toMatchObject({ used: 0 });
    expect(quotaOf(usage, 'tokens_per_month')!.used).toBeGreaterThan(0);
  });

  it('shows the documents stored against the storage quotas', async () => {
    await userOnPlan(t.deps.db, 'q-docs', { documents: 5, stored_bytes: 10_000 });
    const res = await t.as(
      'q-docs',
      '/documents',
      postJson({ title: 'Notes', content: 'Partial indexes are small.' }),
    );
    expect(res.status).toBe(202);
    const usage = await readBody(await t.as('q-docs', '/usage'), getUsageRoute, 200);
    expect(quotaOf(usage, 'documents')).toMatchObject({ limit: 5, used: 1, remaining: 4, resets_at: null });
    expect(quotaOf(usage, 'stored_bytes')).toMatchObject({ limit: 10_000, used: 26, remaining: 9_974 });
  });
});
