import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { billingEvents, subscriptions } from '../../../src/db/schema.ts';
import {
  billingEnv,
  signedWebhook,
  stripeSignature,
  subscriptionEvent,
  TEST_BILLING_SECRET,
} from '../../helpers/billing.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import {
  createTestApp,
  expectProblem,
  type TestApp,
  useTestApp,
  useTestDatabase,
} from '../../helpers/test-app.ts';

const unix = () => Math.floor(Date.now() / 1000);

async function nothingStored(t: TestApp, eventId: string, userId: string) {
  expect(await t.deps.db.select().from(billingEvents).where(eq(billingEvents.id, eventId))).toEqual([]);
  expect(await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, userId))).toEqual([]);
}

describe.each(databaseKinds)('POST /billing/webhooks refuses what it cannot trust or read on %s', (kind) => {
  const t = useTestApp(kind, {
    env: billingEnv({ BILLING_WEBHOOK_TOLERANCE_S: '300', BODY_LIMIT_BYTES: '4096' }),
  });

  it('400 invalid-signature for a signature that does not match, and changes nothing', async () => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-badsig', plan: 'pro' });
    const problem = await expectProblem(
      await t.request(
        '/billing/webhooks',
        signedWebhook(event, { secret: 'whsec_some_other_secret_abcdef' }),
      ),
      400,
    );
    expect(problem.type).toBe('urn:cairn:problem:invalid-signature');
    await nothingStored(t, event.id, 'err-badsig');
  });

  it('400 for a timestamp older than the tolerance, even with a valid signature', async () => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-stale', plan: 'pro' });
    const problem = await expectProblem(
      await t.request('/billing/webhooks', signedWebhook(event, { timestamp: unix() - 301 })),
      400,
    );
    expect(problem.detail).toMatch(/tolerance/);
    await nothingStored(t, event.id, 'err-stale');
  });

  it('400 for a timestamp too far in the future', async () => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-future', plan: 'pro' });
    await expectProblem(
      await t.request('/billing/webhooks', signedWebhook(event, { timestamp: unix() + 3600 })),
      400,
    );
    await nothingStored(t, event.id, 'err-future');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without a timestamp', `v1=${'a'.repeat(64)}`],
    ['without a v1', `t=${unix()}`],
    ['with a non-hex v1', `t=${unix()},v1=${'z'.repeat(64)}`],
    ['with a short v1', `t=${unix()},v1=abcd`],
    ['with a non-numeric t', `t=soon,v1=${'a'.repeat(64)}`],
    ['absurdly long', `t=${unix()},${'v0=x,'.repeat(1000)}v1=${'a'.repeat(64)}`],
  ])('400 for a Stripe-Signature header %s', async (_, header) => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-header', plan: 'pro' });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (header !== undefined) headers['stripe-signature'] = header;
    const problem = await expectProblem(
      await t.request('/billing/webhooks', { method: 'POST', headers, body: JSON.stringify(event) }),
      400,
    );
    expect(problem.type).toBe('urn:cairn:problem:invalid-signature');
    await nothingStored(t, event.id, 'err-header');
  });

  it('400 for a signed body that is not JSON, and for JSON that is not an event', async () => {
    const notJson = 'this is not json';
    await expectProblem(
      await t.request('/billing/webhooks', {
        method: 'POST',
        headers: { 'stripe-signature': stripeSignature(notJson) },
        body: notJson,
      }),
      400,
    );
    const problem = await expectProblem(
      await t.request('/billing/webhooks', signedWebhook({ id: 'evt_x' })),
      400,
    );
    expect(problem.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining(['/body/type', '/body/data']),
    );
  });

  it('422 for a subscription object it cannot read, and records nothing so a retry can apply it', async () => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-shape', plan: 'pro' });
    const broken = { ...event, data: { object: { ...event.data.object, items: { data: [] } } } };
    const problem = await expectProblem(await t.request('/billing/webhooks', signedWebhook(broken)), 422);
    expect(problem.errors?.[0]?.pointer).toBe('/body/data/object/items/data');
    await nothingStored(t, event.id, 'err-shape');
  });

  it('413 for a body over the limit', async () => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-large', plan: 'pro' });
    const large = { ...event, padding: 'x'.repeat(5000) };
    await expectProblem(await t.request('/billing/webhooks', signedWebhook(large)), 413);
    await nothingStored(t, event.id, 'err-large');
  });
});

describe.each(databaseKinds)('POST /billing/webhooks without BILLING_WEBHOOK_SECRET on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('answers 404 and stores nothing', async () => {
    const t = createTestApp(database);
    const event = subscriptionEvent('customer.subscription.created', { userId: 'err-unset', plan: 'pro' });
    await expectProblem(
      await t.request('/billing/webhooks', signedWebhook(event, { secret: TEST_BILLING_SECRET })),
      404,
    );
    await nothingStored(t, event.id, 'err-unset');
  });
});
