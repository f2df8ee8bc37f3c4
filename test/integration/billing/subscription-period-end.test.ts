import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runPeriodEnds } from '../../../src/billing/subscriptions/period-end.ts';
import { subscriptions, usageEvents, usageRecords, users } from '../../../src/db/schema.ts';
import { jobHandlers } from '../../../src/job-handlers.ts';
import { createJobConsumer } from '../../../src/queue/job-consumer.ts';
import { billingEnv, signedWebhook, subscriptionEvent } from '../../helpers/billing.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

const DAY_S = 86_400;
const unix = () => Math.floor(Date.now() / 1000);

async function stateOf(t: TestApp, userId: string) {
  const [user] = await t.deps.db.select().from(users).where(eq(users.id, userId));
  const [subscription] = await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, userId));
  const records = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.userId, userId));
  return { plan: user?.plan, subscription, records };
}

// A subscription whose current period ended a minute ago.
const endedPeriod = () => ({ periodStart: unix() - 30 * DAY_S, periodEnd: unix() - 60 });

describe.each(databaseKinds)('the subscriptions period-end step on %s', (kind) => {
  const t = useTestApp(kind, { env: billingEnv() });
  const webhook = (event: unknown) => t.request('/billing/webhooks', signedWebhook(event));

  // The step as it runs once the clock has passed every period these tests open (an hour ahead).
  const inAnHour = () => ({ ...t.deps, now: () => new Date(Date.now() + 3_600_000) });
  const endsSoon = () => ({ periodStart: unix() - DAY_S, periodEnd: unix() + 600 });

  it('a canceled subscription keeps its plan until period end, then falls back to free', async () => {
    const ids = { userId: 'pe-canceled', subscriptionId: 'sub_pe_canceled', customerId: 'cus_pe_canceled' };
    await webhook(
      subscriptionEvent('customer.subscription.updated', {
        ...ids,
        plan: 'pro',
        status: 'canceled',
        ...endsSoon(),
      }),
    );
    expect((await stateOf(t, 'pe-canceled')).plan).toBe('pro');
    await runPeriodEnds(t.deps, { userId: 'pe-canceled' });
    // Not ended yet: nothing changes.
    expect(await stateOf(t, 'pe-canceled')).toMatchObject({ plan: 'pro', records: [] });
    const report = await runPeriodEnds(inAnHour(), { userId: 'pe-canceled' });
    expect(report.lapsed).toEqual(['pe-canceled']);
    const after = await stateOf(t, 'pe-canceled');
    expect(after.plan).toBe('free');
    expect(after.records).toHaveLength(1);
  });

  it('past_due past its period end falls back to free; cancel_at_period_end becomes canceled and free', async () => {
    await webhook(
      subscriptionEvent('customer.subscription.updated', {
        userId: 'pe-unpaid',
        plan: 'pro',
        status: 'past_due',
        ...endsSoon(),
      }),
    );
    await webhook(
      subscriptionEvent('customer.subscription.updated', {
        userId: 'pe-canceling',
        plan: 'team',
        status: 'active',
        cancelAtPeriodEnd: true,
        ...endsSoon(),
      }),
    );
    expect((await stateOf(t, 'pe-unpaid')).plan).toBe('pro');
    expect((await stateOf(t, 'pe-canceling')).plan).toBe('team');
    for (const userId of ['pe-unpaid', 'pe-canceling']) await runPeriodEnds(inAnHour(), { userId });
    expect(await stateOf(t, 'pe-unpaid')).toMatchObject({
      plan: 'free',
      subscription: { status: 'past_due' },
    });
    expect(await stateOf(t, 'pe-canceling')).toMatchObject({
      plan: 'free',
      subscription: { status: 'canceled' },
    });
  });

  it('a principal cached with the old plan sees free on its next request after the step', async () => {
    await webhook(
      subscriptionEvent('customer.subscription.updated', {
        userId: 'pe-cached',
        plan: 'pro',
        status: 'canceled',
        ...endsSoon(),
      }),
    );
    expect(((await (await t.as('pe-cached', '/me')).json()) as { plan: string }).plan).toBe('pro');
    await runPeriodEnds(inAnHour(), { userId: 'pe-cached' });
    expect(((await (await t.as('pe-cached', '/me')).json()) as { plan: string }).plan).toBe('free');
  });

  it('an active provider subscription past its end keeps its plan (the provider renews it) and gets one record', async () => {
    await webhook(
      subscriptionEvent('customer.subscription.updated', {
        userId: 'pe-active',
        plan: 'pro',
        ...endedPeriod(),
      }),
    );
    await runPeriodEnds(t.deps, { userId: 'pe-active' });
    await runPeriodEnds(t.deps, { userId: 'pe-active' });
    const state = await stateOf(t, 'pe-active');
    expect(state.plan).toBe('pro');
    expect(state.records).toHaveLength(1);
  });

  it('a renewal by webhook records the period that ended, once', async () => {
    const ids = { userId: 'pe-renewal', subscriptionId: 'sub_pe_renewal', customerId: 'cus_pe_renewal' };
    const old = endedPeriod();
    await webhook(subscriptionEvent('customer.subscription.updated', { ...ids, plan: 'pro', ...old }));
    await t.deps.db.insert(usageEvents).values(
      [old.periodStart + 10, old.periodEnd - 10, old.periodEnd + 10].map((at, i) => ({
        createdAt: new Date(at * 1000),
        serverRequestId: crypto.randomUUID(),
        userId: 'pe-renewal',
        provider: 'local',
        model: 'local-chat',
        operation: 'chat' as const,
        tokensIn: 100 * (i + 1),
        tokensOut: 10,
        costUsd: '0.5',
        priced: true,
        latencyMs: 5,
        attempts: 1,
        status: 'ok',
      })),
    );
    await webhook(
      subscriptionEvent(
        'customer.subscription.updated',
        { ...ids, plan: 'pro', periodStart: old.periodEnd, periodEnd: old.periodEnd + 30 * DAY_S },
        { created: unix() + 1 },
      ),
    );
    await runPeriodEnds(t.deps, { userId: 'pe-renewal' });
    const { records } = await stateOf(t, 'pe-renewal');
    expect(records).toHaveLength(1);
    // The two events inside [start, end) count; the one after the end belongs to the next period.
    expect(records[0]).toMatchObject({ requests: 2, tokensIn: 300, tokensOut: 20, plan: 'pro' });
    expect(Number(records[0]!.costUsd)).toBe(1);
    expect(records[0]!.periodEnd.getTime()).toBe(old.periodEnd * 1000);
  });

  it('the Node maintenance job runs the step', async () => {
    await webhook(
      subscriptionEvent('customer.subscription.updated', {
        userId: 'pe-consumer',
        plan: 'pro',
        status: 'canceled',
        ...endedPeriod(),
      }),
    );
    await t.deps.db.update(users).set({ plan: 'pro' }).where(eq(users.id, 'pe-consumer'));
    const consumer = createJobConsumer({ deps: t.deps, handlers: jobHandlers });
    await consumer.start();
    // The first poll runs the maintenance.
    await expect.poll(async () => (await stateOf(t, 'pe-consumer')).plan, { timeout: 5000 }).toBe('free');
    await consumer.stop();
    expect((await stateOf(t, 'pe-consumer')).records).toHaveLength(1);
  });
});

describe.each(databaseKinds)('admin-granted subscriptions at period end on %s', (kind) => {
  const t = useTestApp(kind);
  const admin = (path: string, body: unknown) =>
    t.as('pe-root', path, {
      role: 'admin',
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('roll forward monthly, one record per ended period', async () => {
    expect((await t.as('pe-granted', '/me')).status).toBe(200);
    expect((await admin('/admin/users/pe-granted/subscription', { plan: 'pro' })).status).toBe(200);
    // Move the period back: it started 65 days ago and ended 35 days ago.
    const start = new Date(Date.now() - 65 * DAY_S * 1000);
    await t.deps.db
      .update(subscriptions)
      .set({ currentPeriodStart: start, currentPeriodEnd: new Date(Date.now() - 35 * DAY_S * 1000) })
      .where(eq(subscriptions.userId, 'pe-granted'));
    const report = await runPeriodEnds(t.deps, { userId: 'pe-granted' });
    expect(report.renewed).toBe(1);
    const state = await stateOf(t, 'pe-granted');
    expect(state.plan).toBe('pro');
    expect(state.records.length).toBeGreaterThanOrEqual(2);
    expect(state.subscription!.currentPeriodEnd.getTime()).toBeGreaterThan(Date.now());
    expect(state.subscription!.currentPeriodStart.getTime()).toBeLessThanOrEqual(Date.now());
    const starts = state.records.map((r) => r.periodStart.getTime()).sort();
    expect(starts[0]).toBe(start.getTime());
    expect(new Set(starts).size).toBe(starts.length);
  });
});
