import type { JobHandlers } from '../../queue/job-handler.ts';
import { PermanentJobError } from '../../queue/job-handler.ts';
import { deliverUsageRecord, deliveryPayload, markDeliveryDead } from './deliver-usage-record.ts';
import { JOB_DELIVER_USAGE_RECORD } from './job-kinds.ts';

/** The billing capability's background jobs: delivering usage records to the billing receiver. */
export const billingJobHandlers: JobHandlers = {
  [JOB_DELIVER_USAGE_RECORD]: {
    async run(deps, payload, job) {
      const parsed = deliveryPayload.safeParse(payload);
      // A payload that does not parse will never parse: straight to the dead-letter store.
      if (!parsed.success) throw new PermanentJobError(`invalid job payload: ${parsed.error.message}`);
      await deliverUsageRecord(deps, parsed.data, job);
      return undefined;
    },
    onDead: markDeliveryDead,
  },
};
