import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { receiveBillingWebhookRoute } from '../../../src/billing/webhooks/webhooks.routes.ts';
import { billingEvents, subscriptions, users } from '../../../src/db/schema.ts';
import { billingEnv, invoiceEvent, signedWebhook, subscriptionEvent } from '../../helpers/billing.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

const DAY_S = 86_400;
const unix = () => Math.floor(Date.now() / 1000);

async function stateOf(t: TestApp, userId: string) {
  const [user] = await t.deps.db.select().from(users).where(eq(users.id, userId));
  const [subscription] = await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, userId));
  return { plan: user?.plan, subscription };
}

describe.each(databaseKinds)('POST /billing/webhooks applies signed events on %s', (kind) => {
  const t = useTestApp(kind, { env: billingEnv({ BILLING_PRICE_PLANS: '{"price_team_monthly":"team"}' }) });
  const send = (event: unknown) => t.request('/billing/webhooks', signedWebhook(event));

  it('customer.subscription.created puts the price plan in force for the metadata user', async () => {
    const event = subscriptionEvent('customer.subscription.created', {
      userId: 'wh-created',
      subscriptionId: 'sub_created',
      customerId: 'cus_created',
      plan: 'pro',
    });
    const receipt = await readBody(await send(event), receiveBillingWebhookRoute, 200);
    expect(receipt).toEqual({ received: true, event_id: event.id, duplicate: false, outcome: 'applied' });
    const { plan, subscription } = await stateOf(t, 'wh-created');
    expect(plan).toBe('pro');
    expect(subscription).toMatchObject({
      plan: 'pro',
      status: 'active',
      source: 'billing',
      externalCustomerId: 'cus_created',
      externalSubscriptionId: 'sub_created',
      cancelAtPeriodEnd: false,
    });
    expect(subscription?.currentPeriodEnd.getTime()).toBe(event.data.object.current_period_end! * 1000);
  });

  it('maps a price through BILLING_PRICE_PLANS and reads the period from the item (newer API)', async () => {
    await send(
      subscriptionEvent('customer.subscription.created', {
        userId: 'wh-mapped',
        priceId: 'price_team_monthly',
        periodOnItem: true,
      }),
    );
    expect(await stateOf(t, 'wh-mapped')).toMatchObject({ plan: 'team', subscription: { plan: 'team' } });
  });

  it('customer.subscription.updated changes plan and status, finding the user by the stored subscription id', async () => {
    const ids = { subscriptionId: 'sub_updated', customerId: 'cus_updated' };
    await send(
      subscriptionEvent('customer.subscription.created', { ...ids, userId: 'wh-updated', plan: 'pro' }),
    );
    // No metadata this time: the stored external id names the user.
    const receipt = await readBody(
      await send(
        subscriptionEvent(
          'customer.subscription.updated',
          { ...ids, plan: 'team', status: 'trialing', cancelAtPeriodEnd: true },
          { created: unix() + 1 },
        ),
      ),
      receiveBillingWebhookRoute,
      200,
    );
    expect(receipt.outcome).toBe('applied');
    expect(await stateOf(t, 'wh-updated')).toMatchObject({
      plan: 'team',
      subscription: { plan: 'team', status: 'trialing', cancelAtPeriodEnd: true },
    });
  });

  it('customer.subscription.deleted cancels and puts free in force at once', async () => {
    const ids = { subscriptionId: 'sub_deleted', customerId: 'cus_deleted' };
    await send(
      subscriptionEvent('customer.subscription.created', { ...ids, userId: 'wh-deleted', plan: 'pro' }),
    );
    expect((await stateOf(t, 'wh-deleted')).plan).toBe('pro');
    await send(
      subscriptionEvent('customer.subscription.deleted', { ...ids, status: 'canceled', plan: 'pro' }),
    );
    const { plan, subscription } = await stateOf(t, 'wh-deleted');
    expect(plan).toBe('free');
    expect(subscription?.status).toBe('canceled');
    expect(subscription!.currentPeriodEnd.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('invoice.payment_failed makes it past_due (plan kept until period end), invoice.paid makes it active', async () => {
    const ids = { subscriptionId: 'sub_invoices', customerId: 'cus_invoices' };
    await send(
      subscriptionEvent('customer.subscription.created', { ...ids, userId: 'wh-invoices', plan: 'pro' }),
    );
    const failed = await readBody(
      await send(invoiceEvent('invoice.payment_failed', ids)),
      receiveBillingWebhookRoute,
      200,
    );
    expect(failed.outcome).toBe('applied');
    expect(await stateOf(t, 'wh-invoices')).toMatchObject({
      plan: 'pro',
      subscription: { status: 'past_due' },
    });
    await send(invoiceEvent('invoice.paid', ids));
    expect(await stateOf(t, 'wh-invoices')).toMatchObject({
      plan: 'pro',
      subscription: { status: 'active' },
    });
  });

  it('invoice.payment_failed after the period ended puts free in force', async () => {
    const now = unix();
    const ids = { subscriptionId: 'sub_lapsed_invoice', customerId: 'cus_lapsed_invoice' };
    await send(
      subscriptionEvent('customer.subscription.created', {
        ...ids,
        userId: 'wh-lapsed-invoice',
        plan: 'pro',
        periodStart: now - 31 * DAY_S,
        periodEnd: now - 60,
      }),
    );
    expect((await stateOf(t, 'wh-lapsed-invoice')).plan).toBe('pro');
    await send(invoiceEvent('invoice.payment_failed', ids));
    expect((await stateOf(t, 'wh-lapsed-invoice')).plan).toBe('free');
  });

  it('a replay answers 200 with duplicate: true and changes nothing', async () => {
    const ids = { subscriptionId: 'sub_replay', customerId: 'cus_replay', userId: 'wh-replay' };
    const first = subscriptionEvent('customer.subscription.created', { ...ids, plan: 'pro' });
    await send(first);
    // A later event moves the subscription on; replaying the first must not move it back.
    await send(
      subscriptionEvent('customer.subscription.updated', { ...ids, plan: 'team' }, { created: unix() + 1 }),
    );
    const replay = await readBody(await send(first), receiveBillingWebhookRoute, 200);
    expect(replay).toEqual({ received: true, event_id: first.id, duplicate: true, outcome: 'applied' });
    expect((await stateOf(t, 'wh-replay')).plan).toBe('team');
    const rows = await t.deps.db.select().from(billingEvents).where(eq(billingEvents.id, first.id));
    expect(rows).toHaveLength(1);
  });

  it('concurrent duplicate deliveries apply the event once', async () => {
    const event = subscriptionEvent('customer.subscription.created', {
      userId: 'wh-concurrent',
      plan: 'pro',
    });
    const receipts = await Promise.all(
      Array.from({ length: 8 }, async () => readBody(await send(event), receiveBillingWebhookRoute, 200)),
    );
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(receipts.every((r) => r.outcome === 'applied')).toBe(true);
    const stored = await t.deps.db
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.userId, 'wh-concurrent'));
    expect(stored).toHaveLength(1);
  });

  it('acknowledges and records an unknown event type without effect', async () => {
    const event = {
      id: `evt_unknown_${unix()}`,
      type: 'charge.refunded',
      created: unix(),
      data: { object: { id: 'ch_1' } },
    };
    const receipt = await readBody(await send(event), receiveBillingWebhookRoute, 200);
    expect(receipt).toMatchObject({ duplicate: false, outcome: 'ignored:unhandled_type' });
    const [row] = await t.deps.db.select().from(billingEvents).where(eq(billingEvents.id, event.id));
    expect(row).toMatchObject({ type: 'charge.refunded', outcome: 'ignored:unhandled_type' });
  });

  it('ignores, with a recorded reason, events it cannot attribute or map', async () => {
    const noUser = await send(subscriptionEvent('customer.subscription.created', { plan: 'pro' }));
    expect((await readBody(noUser, receiveBillingWebhookRoute, 200)).outcome).toBe('ignored:unknown_user');
    const noPlan = await send(
      subscriptionEvent('customer.subscription.created', {
        userId: 'wh-unmapped',
        priceId: 'price_nobody_knows',
      }),
    );
    expect((await readBody(noPlan, receiveBillingWebhookRoute, 200)).outcome).toBe('ignored:unmapped_price');
    const unknownPlan = await send(
      subscriptionEvent('customer.subscription.created', { userId: 'wh-unknown-plan', plan: 'platinum' }),
    );
    expect((await readBody(unknownPlan, receiveBillingWebhookRoute, 200)).outcome).toBe(
      'ignored:unknown_plan',
    );
    const noSubscription = await send(invoiceEvent('invoice.paid', { subscriptionId: 'sub_never_seen' }));
    expect((await readBody(noSubscription, receiveBillingWebhookRoute, 200)).outcome).toBe(
      'ignored:unknown_subscription',
    );
    for (const userId of ['wh-unmapped', 'wh-unknown-plan'])
      expect((await stateOf(t, userId)).subscription).toBeUndefined();
  });

  it('ignores an event older than the last one applied (out-of-order delivery)', async () => {
    const ids = { subscriptionId: 'sub_ordering', customerId: 'cus_ordering', userId: 'wh-ordering' };
    const now = unix();
    await send(
      subscriptionEvent('customer.subscription.updated', { ...ids, plan: 'team' }, { created: now }),
    );
    const late = await send(
      subscriptionEvent('customer.subscription.created', { ...ids, plan: 'pro' }, { created: now - 5 }),
    );
    expect((await readBody(late, receiveBillingWebhookRoute, 200)).outcome).toBe('ignored:stale');
    expect((await stateOf(t, 'wh-ordering')).plan).toBe('team');
  });

  it("a new subscription replaces the user's old one; the old one's end does not touch it", async () => {
    const user = { userId: 'wh-two-subs', customerId: 'cus_two_subs' };
    await send(
      subscriptionEvent('customer.subscription.created', {
        ...user,
        subscriptionId: 'sub_first',
        plan: 'pro',
      }),
    );
    await send(
      subscriptionEvent('customer.subscription.created', {
        ...user,
        subscriptionId: 'sub_second',
        plan: 'team',
      }),
    );
    expect(await stateOf(t, 'wh-two-subs')).toMatchObject({
      plan: 'team',
      subscription: { externalSubscriptionId: 'sub_second' },
    });
    const ended = await send(
      subscriptionEvent('customer.subscription.deleted', {
        ...user,
        subscriptionId: 'sub_first',
        status: 'canceled',
      }),
    );
    expect((await readBody(ended, receiveBillingWebhookRoute, 200)).outcome).toBe(
      'ignored:other_subscription',
    );
    expect(await stateOf(t, 'wh-two-subs')).toMatchObject({
      plan: 'team',
      subscription: { status: 'active' },
    });
  });

  it('a new plan applies on the next request of a cached principal', async () => {
    // First request caches the principal with plan free.
    expect((await t.as('wh-cached', '/me')).status).toBe(200);
    await send(subscriptionEvent('customer.subscription.created', { userId: 'wh-cached', plan: 'pro' }));
    const me = (await (await t.as('wh-cached', '/me')).json()) as { plan: string };
    expect(me.plan).toBe('pro');
  });
});
