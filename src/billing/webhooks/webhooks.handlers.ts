import type { RouteHandler, z } from '@hono/zod-openapi';
import { AppError, badRequest, notFound, validationFailed } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { type ReceivedEvent, receiveBillingEvent } from './receive-billing-event.ts';
import { billingEventSchema } from './stripe-events.ts';
import { verifySignature } from './stripe-signature.ts';
import type { billingWebhookReceiptSchema, receiveBillingWebhookRoute } from './webhooks.routes.ts';

const signatureRefused = (detail: string) =>
  new AppError({ status: 400, slug: 'invalid-signature', title: 'Invalid webhook signature', detail });

const verdictDetail = {
  malformed:
    'The Stripe-Signature header is missing or malformed: send "t=<unix seconds>,v1=<hex HMAC-SHA256>".',
  stale: 'The Stripe-Signature timestamp is outside the tolerance (BILLING_WEBHOOK_TOLERANCE_S).',
  mismatch: 'No v1 signature in Stripe-Signature matches the body.',
} as const;

const toReceipt = (event: ReceivedEvent): z.input<typeof billingWebhookReceiptSchema> => ({
  received: true,
  event_id: event.eventId,
  duplicate: event.duplicate,
  outcome: event.outcome,
});

function parseEvent(payload: Uint8Array) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(payload));
  } catch {
    throw badRequest('The body is not UTF-8 JSON.');
  }
  const parsed = billingEventSchema.safeParse(json);
  if (!parsed.success) {
    throw validationFailed(
      'The body is not a billing event.',
      parsed.error.issues.slice(0, 20).map((issue) => ({
        pointer: `/body${issue.path.map((p) => `/${String(p)}`).join('')}`,
        detail: issue.message,
      })),
    );
  }
  return parsed.data;
}

// The signature covers the raw bytes, so the body is read here rather than validated by the route.
export const receiveBillingWebhookHandler: RouteHandler<typeof receiveBillingWebhookRoute, AppEnv> = async (
  c,
) => {
  const deps = c.get('deps');
  const secret = deps.config.BILLING_WEBHOOK_SECRET;
  if (!secret) throw notFound('Billing webhooks are not configured on this server.');
  const payload = new Uint8Array(await c.req.arrayBuffer());
  const verdict = await verifySignature({
    header: c.req.valid('header')['stripe-signature'],
    payload,
    secret,
    toleranceS: deps.config.BILLING_WEBHOOK_TOLERANCE_S,
    now: deps.now(),
  });
  if (verdict !== 'valid') throw signatureRefused(verdictDetail[verdict]);
  return c.json(toReceipt(await receiveBillingEvent(deps, parseEvent(payload))), 200);
};
