import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { usageRecords } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { type JobContext, PermanentJobError } from '../../queue/job-handler.ts';
import { signatureHeader } from '../webhooks/stripe-signature.ts';
import { type UsageRecord, usageRecordFields } from './produce-usage-record.ts';

export const deliveryPayload = z.object({ usageRecordId: z.uuid() });

/** The header carrying the signature of an outbound usage record (Stripe's scheme: `t=...,v1=...`). */
const USAGE_SIGNATURE_HEADER = 'Cairn-Signature';

// Only the status matters; a receiver's body is never read past this.
const RESPONSE_MAX_BYTES = 1024;

/** The event a receiver gets: Stripe-shaped, its id the record's, so a redelivery is recognisable. */
const usageRecordEvent = (record: UsageRecord, created: Date) => ({
  id: `usage_record_${record.id}`,
  type: 'usage_record.created',
  created: Math.floor(created.getTime() / 1000),
  data: {
    object: usageRecordFields(record),
  },
});

// 408 and 429 say "later"; 5xx is the receiver's trouble: the queue retries them with backoff.
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Sends one usage record to BILLING_USAGE_WEBHOOK_URL, signed with BILLING_USAGE_WEBHOOK_SECRET
 * (else BILLING_WEBHOOK_SECRET). A 2xx marks it delivered; a network error, 408, 429 or 5xx throws,
 * so the queue retries with backoff and dead-letters after JOB_MAX_ATTEMPTS; another 4xx will not
 * change on retry and dead-letters at once. The URL is an operator's setting, not a caller's, so
 * the agents' host allowlist and private-address refusal do not apply to it.
 */
export async function deliverUsageRecord(
  deps: Deps,
  payload: z.infer<typeof deliveryPayload>,
  job: JobContext,
): Promise<void> {
  const [record] = await deps.db
    .select()
    .from(usageRecords)
    .where(eq(usageRecords.id, payload.usageRecordId));
  if (!record) throw new PermanentJobError(`usage record ${payload.usageRecordId} does not exist`);
  if (record.deliveredAt) return;
  const url = deps.config.BILLING_USAGE_WEBHOOK_URL;
  const secret = deps.config.BILLING_USAGE_WEBHOOK_SECRET ?? deps.config.BILLING_WEBHOOK_SECRET;
  if (!url || !secret)
    throw new PermanentJobError('BILLING_USAGE_WEBHOOK_URL or its secret is no longer set');
  const now = deps.now();
  const body = JSON.stringify(usageRecordEvent(record, now));
  const timeout = AbortSignal.timeout(deps.config.BILLING_USAGE_WEBHOOK_TIMEOUT_MS);
  const response = await deps.outboundHttp({
    url: new URL(url),
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [USAGE_SIGNATURE_HEADER]: await signatureHeader(secret, body, Math.floor(now.getTime() / 1000)),
    },
    body,
    signal: job.signal ? AbortSignal.any([job.signal, timeout]) : timeout,
    maxBytes: RESPONSE_MAX_BYTES,
    allowPrivateAddress: true,
  });
  if (response.status >= 200 && response.status < 300) {
    await deps.db
      .update(usageRecords)
      .set({ deliveredAt: deps.now(), deliveryError: null })
      .where(eq(usageRecords.id, record.id));
    return;
  }
  const error = `receiver answered ${response.status}`;
  await deps.db.update(usageRecords).set({ deliveryError: error }).where(eq(usageRecords.id, record.id));
  if (!retryable(response.status)) throw new PermanentJobError(error);
  throw new Error(error);
}

/** A dead-lettered delivery leaves its reason on the record (an admin retry runs the job again). */
export async function markDeliveryDead(deps: Deps, payload: unknown, error: string): Promise<void> {
  const parsed = deliveryPayload.safeParse(payload);
  if (!parsed.success) return;
  await deps.db
    .update(usageRecords)
    .set({ deliveryError: `dead-lettered: ${error}` })
    .where(eq(usageRecords.id, parsed.data.usageRecordId));
}
