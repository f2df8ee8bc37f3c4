/** The billing capability's background job kinds (handlers in src/billing/usage-records/job-handlers.ts). */
export const JOB_DELIVER_USAGE_RECORD = 'billing.deliver-usage-record';
