import { createRoute, z } from '@hono/zod-openapi';
import { limitBody } from '../../http/body-limit.middleware.ts';
import { errorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';

export const billingWebhookReceiptSchema = z
  .object({
    received: z.literal(true),
    event_id: z.string(),
    duplicate: z.boolean().openapi({ description: 'The event id was processed before: nothing changed now' }),
    outcome: z.string().openapi({
      description:
        '`applied`, or `ignored:<reason>` (unhandled_type, unknown_user, unknown_plan, stale, ...)',
      example: 'applied',
    }),
  })
  .openapi('BillingWebhookReceipt');

export const receiveBillingWebhookRoute = createRoute({
  method: 'post',
  path: '/billing/webhooks',
  operationId: 'receiveBillingWebhook',
  tags: ['billing'],
  summary: 'Inbound billing provider events (Stripe format), verified by their Stripe-Signature',
  description:
    'No bearer token: the `Stripe-Signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with BILLING_WEBHOOK_SECRET>`) authenticates the body, within BILLING_WEBHOOK_TOLERANCE_S. Each event id is applied once; a replay answers 200 with `duplicate: true`. Handled: customer.subscription.created/updated/deleted, invoice.paid, invoice.payment_failed; other types are acknowledged and ignored. 404 while BILLING_WEBHOOK_SECRET is unset.',
  middleware: [limitBody()] as const,
  request: {
    headers: z.object({
      'stripe-signature': z.string().optional().openapi({ example: 't=1767225600,v1=5257a869e7...' }),
    }),
  },
  responses: {
    200: jsonResponse(billingWebhookReceiptSchema, 'Received (applied, ignored, or a replay)'),
    ...errorResponses,
    ...problemResponses,
  },
});
