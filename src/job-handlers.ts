import { billingJobHandlers } from './billing/usage-records/job-handlers.ts';
import type { JobHandlers } from './queue/job-handler.ts';
import { ragJobHandlers } from './rag/job-handlers.ts';

/** Every capability's background job handlers, by kind; each runtime's consumer runs them. */
export const jobHandlers: JobHandlers = { ...ragJobHandlers, ...billingJobHandlers };
