import { z } from 'zod';

// The parts of Stripe's event, subscription and invoice objects cairn reads; every other field is
// ignored, so the shapes hold across API versions (periods moved onto subscription items in
// 2025-03-31, invoices name their subscription under `parent` since 2025-03-31 as well).

const externalId = z.string().min(1).max(255);
// Expanded objects carry the id inside.
const idOrObject = z
  .union([externalId, z.object({ id: externalId })])
  .transform((v) => (typeof v === 'string' ? v : v.id));
const unixSeconds = z.number().int().min(0).max(253_402_300_799);
const metadata = z.record(z.string(), z.string()).default({});

/** The envelope every event has. */
export const billingEventSchema = z.object({
  id: externalId,
  type: z.string().min(1).max(255),
  created: unixSeconds,
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type BillingEvent = z.infer<typeof billingEventSchema>;

const price = z.object({ id: externalId, metadata });
const subscriptionItem = z.object({
  price,
  current_period_start: unixSeconds.optional(),
  current_period_end: unixSeconds.optional(),
});

/** `data.object` of customer.subscription.* events. */
export const stripeSubscriptionSchema = z
  .object({
    id: externalId,
    customer: idOrObject,
    status: z.string().min(1).max(64),
    cancel_at_period_end: z.boolean().default(false),
    current_period_start: unixSeconds.optional(),
    current_period_end: unixSeconds.optional(),
    ended_at: unixSeconds.nullable().optional(),
    metadata,
    items: z.object({ data: z.array(subscriptionItem).min(1) }),
  })
  .transform((s, ctx) => {
    const item = s.items.data[0]!;
    const start = s.current_period_start ?? item.current_period_start;
    const end = s.current_period_end ?? item.current_period_end;
    if (start === undefined || end === undefined || end < start) {
      ctx.addIssue({ code: 'custom', path: ['current_period_end'], message: 'no valid current period' });
      return z.NEVER;
    }
    return { ...s, price: item.price, periodStart: new Date(start * 1000), periodEnd: new Date(end * 1000) };
  });
export type StripeSubscription = z.output<typeof stripeSubscriptionSchema>;

/** `data.object` of invoice.* events. */
export const stripeInvoiceSchema = z
  .object({
    id: externalId,
    customer: idOrObject.nullable().optional(),
    subscription: idOrObject.nullable().optional(),
    parent: z
      .object({
        subscription_details: z
          .object({ subscription: idOrObject.nullable().optional() })
          .nullable()
          .optional(),
      })
      .nullable()
      .optional(),
  })
  .transform((i) => ({
    id: i.id,
    customer: i.customer ?? null,
    subscription: i.subscription ?? i.parent?.subscription_details?.subscription ?? null,
  }));
