import { createHmac, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database.ts';

/** The inbound webhook secret the billing tests configure. */
export const TEST_BILLING_SECRET = 'whsec_test_billing_secret_0123456789';

export const billingEnv = (extra: Record<string, string> = {}) => ({
  BILLING_WEBHOOK_SECRET: TEST_BILLING_SECRET,
  ...extra,
});

const unix = (date: Date) => Math.floor(date.getTime() / 1000);

/** A `Stripe-Signature` value built with node:crypto, independently of the code under test. */
export function stripeSignature(
  payload: string,
  options: { secret?: string; timestamp?: number; extra?: string[] } = {},
): string {
  const t = options.timestamp ?? unix(new Date());
  const v1 = createHmac('sha256', options.secret ?? TEST_BILLING_SECRET)
    .update(`${t}.${payload}`)
    .digest('hex');
  return [`t=${t}`, ...(options.extra ?? []), `v1=${v1}`].join(',');
}

/** A signed POST of `event` (JSON) for /billing/webhooks. */
export function signedWebhook(
  event: unknown,
  options: Parameters<typeof stripeSignature>[1] = {},
): RequestInit {
  const body = JSON.stringify(event);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body, options) },
    body,
  };
}

const DAY_S = 86_400;

export interface SubscriptionFixture {
  userId?: string;
  subscriptionId?: string;
  customerId?: string;
  status?: string;
  plan?: string;
  priceId?: string;
  /** Period in unix seconds; default: started a day ago, ends in 29 days. */
  periodStart?: number;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  /** Put the period on the item (API 2025-03-31 and later) instead of the subscription. */
  periodOnItem?: boolean;
}

/** A customer.subscription.* event as Stripe sends it (the fields cairn reads, and some it ignores). */
export function subscriptionEvent(
  type: 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted',
  fixture: SubscriptionFixture,
  options: { id?: string; created?: number } = {},
) {
  const now = unix(new Date());
  const start = fixture.periodStart ?? now - DAY_S;
  const end = fixture.periodEnd ?? now + 29 * DAY_S;
  const period = { current_period_start: start, current_period_end: end };
  return {
    id: options.id ?? `evt_${randomUUID()}`,
    object: 'event',
    api_version: '2025-03-31.basil',
    type,
    created: options.created ?? now,
    livemode: false,
    data: {
      object: {
        id: fixture.subscriptionId ?? `sub_${randomUUID()}`,
        object: 'subscription',
        customer: fixture.customerId ?? `cus_${randomUUID()}`,
        status: fixture.status ?? 'active',
        cancel_at_period_end: fixture.cancelAtPeriodEnd ?? false,
        ...(fixture.periodOnItem ? {} : period),
        ended_at: type === 'customer.subscription.deleted' ? now : null,
        metadata: fixture.userId ? { cairn_user_id: fixture.userId } : {},
        items: {
          object: 'list',
          data: [
            {
              id: `si_${randomUUID()}`,
              ...(fixture.periodOnItem ? period : {}),
              price: {
                id: fixture.priceId ?? 'price_test',
                object: 'price',
                metadata: fixture.plan ? { cairn_plan: fixture.plan } : {},
              },
            },
          ],
        },
      },
    },
  };
}

/** An invoice.* event naming its subscription the way API 2025-03-31 does (under `parent`). */
export function invoiceEvent(
  type: 'invoice.paid' | 'invoice.payment_failed',
  ids: { subscriptionId: string; customerId?: string },
  options: { id?: string; created?: number } = {},
) {
  return {
    id: options.id ?? `evt_${randomUUID()}`,
    object: 'event',
    type,
    created: options.created ?? unix(new Date()),
    data: {
      object: {
        id: `in_${randomUUID()}`,
        object: 'invoice',
        customer: ids.customerId ?? `cus_${randomUUID()}`,
        parent: { type: 'subscription_details', subscription_details: { subscription: ids.subscriptionId } },
      },
    },
  };
}

/** Quota limits by their `plans` column; a quota not given is unlimited. */
export type PlanLimits = Partial<
  Record<
    | 'model_requests_per_day'
    | 'tokens_per_month'
    | 'cost_usd_per_month'
    | 'agent_runs_per_day'
    | 'documents'
    | 'stored_bytes',
    number
  >
>;

/** A plan of the user's own, `plan-<user>`, with the limits given, and the user on it. */
export async function userOnPlan(db: Database, user: string, limits: PlanLimits): Promise<string> {
  const plan = `plan-${user}`;
  await db.execute(sql`
    insert into plans (name, model_requests_per_day, tokens_per_month, cost_usd_per_month, agent_runs_per_day,
      documents, stored_bytes)
    values (${plan}, ${limits.model_requests_per_day ?? null}, ${limits.tokens_per_month ?? null},
      ${limits.cost_usd_per_month ?? null}, ${limits.agent_runs_per_day ?? null}, ${limits.documents ?? null},
      ${limits.stored_bytes ?? null})`);
  await db.execute(sql`insert into users (id, plan) values (${user}, ${plan})`);
  return plan;
}
