import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { receiveBillingWebhookRoute } from '../../../src/billing/webhooks/webhooks.routes.ts';
import { subscriptions, users } from '../../../src/db/schema.ts';
import {
  billingEnv,
  stripeSignature,
  subscriptionEvent,
  TEST_BILLING_SECRET,
} from '../../helpers/billing.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const unix = () => Math.floor(Date.now() / 1000);
const post = (body: string, signature: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'stripe-signature': signature, ...headers },
  body,
});

describe.each(databaseKinds)('POST /billing/webhooks trusts only the signature on %s', (kind) => {
  const t = useTestApp(kind, { env: billingEnv() });

  it('refuses a body changed after signing (a plan upgraded in transit)', async () => {
    const body = JSON.stringify(
      subscriptionEvent('customer.subscription.created', { userId: 'sec-tamper', plan: 'pro' }),
    );
    const signature = stripeSignature(body);
    await expectProblem(
      await t.request('/billing/webhooks', post(body.replace('"pro"', '"team"'), signature)),
      400,
    );
    expect(await t.deps.db.select().from(users).where(eq(users.id, 'sec-tamper'))).toEqual([]);
  });

  it('refuses a signature moved to another timestamp (the timestamp is signed)', async () => {
    const body = JSON.stringify(
      subscriptionEvent('customer.subscription.created', { userId: 'sec-moved', plan: 'pro' }),
    );
    const v1 = /v1=([0-9a-f]+)/.exec(stripeSignature(body, { timestamp: unix() - 10 }))![1];
    await expectProblem(await t.request('/billing/webhooks', post(body, `t=${unix()},v1=${v1}`)), 400);
  });

  it('accepts any matching v1 among several (secret rotation) and skips other schemes', async () => {
    const body = JSON.stringify(
      subscriptionEvent('customer.subscription.created', { userId: 'sec-rotation', plan: 'pro' }),
    );
    const t0 = unix();
    const old = createHmac('sha256', 'whsec_previous_secret_0000000000')
      .update(`${t0}.${body}`)
      .digest('hex');
    const signature = stripeSignature(body, { timestamp: t0, extra: [`v1=${old}`, `v0=${'0'.repeat(64)}`] });
    const receipt = await readBody(
      await t.request('/billing/webhooks', post(body, signature)),
      receiveBillingWebhookRoute,
      200,
    );
    expect(receipt.outcome).toBe('applied');
  });

  it('needs no bearer token, and a bearer token does not replace the signature', async () => {
    const body = JSON.stringify(
      subscriptionEvent('customer.subscription.created', { userId: 'sec-bearer', plan: 'pro' }),
    );
    const admin = await t.token('sec-root', 'admin');
    await expectProblem(
      await t.request('/billing/webhooks', post(body, 'none', { authorization: `Bearer ${admin}` })),
      400,
    );
    expect(
      await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, 'sec-bearer')),
    ).toEqual([]);
  });

  it('a user id in metadata is stored as data, never as SQL', async () => {
    const userId = "sec-x'); drop table subscriptions; --";
    const body = JSON.stringify(subscriptionEvent('customer.subscription.created', { userId, plan: 'pro' }));
    const receipt = await readBody(
      await t.request('/billing/webhooks', post(body, stripeSignature(body))),
      receiveBillingWebhookRoute,
      200,
    );
    expect(receipt.outcome).toBe('applied');
    const [row] = await t.deps.db.select().from(subscriptions).where(eq(subscriptions.userId, userId));
    expect(row?.plan).toBe('pro');
  });

  it('a signature made with the secret as hex or with a prefix does not pass', async () => {
    const body = JSON.stringify(
      subscriptionEvent('customer.subscription.created', { userId: 'sec-variant', plan: 'pro' }),
    );
    for (const secret of [Buffer.from(TEST_BILLING_SECRET).toString('hex'), `${TEST_BILLING_SECRET}x`])
      await expectProblem(
        await t.request('/billing/webhooks', post(body, stripeSignature(body, { secret }))),
        400,
      );
  });
});
