import { describe, expect, it } from 'vitest';
import { getUserRoute } from '../../src/admin/users/users.routes.ts';
import { receiveBillingWebhookRoute } from '../../src/billing/webhooks/webhooks.routes.ts';
import { subscriptionEvent, TEST_BILLING_SECRET } from '../helpers/billing.ts';
import { readBody } from '../helpers/json-request.ts';
import { as, call } from './worker-client.ts';

const encoder = new TextEncoder();

// Signed here with Web Crypto (what workerd offers), as a provider would.
async function signed(
  event: unknown,
  timestamp = Math.floor(Date.now() / 1000),
  secret = TEST_BILLING_SECRET,
) {
  const body = JSON.stringify(event);
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)));
  const v1 = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${timestamp},v1=${v1}` },
    body,
  };
}

describe('POST /billing/webhooks inside workerd', () => {
  it('verifies the signature, applies the event once, and puts the plan in force', async () => {
    const event = subscriptionEvent('customer.subscription.created', { userId: 'wk-billing', plan: 'pro' });
    const init = await signed(event);
    const first = await readBody(await call('/billing/webhooks', init), receiveBillingWebhookRoute, 200);
    expect(first).toEqual({ received: true, event_id: event.id, duplicate: false, outcome: 'applied' });
    const replay = await readBody(await call('/billing/webhooks', init), receiveBillingWebhookRoute, 200);
    expect(replay.duplicate).toBe(true);
    const user = await readBody(
      await as('wk-root', '/admin/users/wk-billing', { role: 'admin' }),
      getUserRoute,
      200,
    );
    expect(user).toMatchObject({
      plan: 'pro',
      subscription: { plan: 'pro', status: 'active', source: 'billing' },
    });
  });

  it('refuses a wrong secret and a stale timestamp with 400, changing nothing', async () => {
    const event = subscriptionEvent('customer.subscription.created', {
      userId: 'wk-billing-refused',
      plan: 'pro',
    });
    for (const init of [
      await signed(event, undefined, 'whsec_not_the_configured_secret'),
      await signed(event, Math.floor(Date.now() / 1000) - 3600),
    ]) {
      const res = await call('/billing/webhooks', init);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await as('wk-root', '/admin/users/wk-billing-refused', { role: 'admin' })).status).toBe(404);
  });
});
