import { createRouter } from '../../http/create-router.ts';
import { listUsageRecordsHandler, produceUsageRecordsHandler } from './usage-records.handlers.ts';
import { listUsageRecordsRoute, produceUsageRecordsRoute } from './usage-records.routes.ts';

/** Admin routes over usage records: list them, and produce the due ones now. */
export const usageRecordsAdminRouter = createRouter()
  .openapi(listUsageRecordsRoute, listUsageRecordsHandler)
  .openapi(produceUsageRecordsRoute, produceUsageRecordsHandler);
