import { createRouter } from '../../http/create-router.ts';
import { receiveBillingWebhookHandler } from './webhooks.handlers.ts';
import { receiveBillingWebhookRoute } from './webhooks.routes.ts';

/** The billing provider's inbound webhook (no bearer auth: the body is signed). */
export const billingWebhooksRouter = createRouter().openapi(
  receiveBillingWebhookRoute,
  receiveBillingWebhookHandler,
);
