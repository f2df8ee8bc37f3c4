import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { type UsageRecord, usageRecordFields } from './produce-usage-record.ts';
import type {
  listUsageRecordsRoute,
  produceUsageRecordsRoute,
  usageRecordSchema,
} from './usage-records.routes.ts';
import { listUsageRecords, produceUsageRecordsNow } from './usage-records-admin.ts';

const toUsageRecordResponse = (record: UsageRecord): z.input<typeof usageRecordSchema> => ({
  ...usageRecordFields(record),
  created_at: record.createdAt.toISOString(),
  delivered_at: record.deliveredAt?.toISOString() ?? null,
  delivery_error: record.deliveryError,
});

export const listUsageRecordsHandler: RouteHandler<typeof listUsageRecordsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listUsageRecords(c.get('deps'), {
    limit: query.limit,
    cursor: query.cursor,
    userId: query.user_id,
  });
  return c.json(toPageResponse(page, toUsageRecordResponse), 200);
};

export const produceUsageRecordsHandler: RouteHandler<typeof produceUsageRecordsRoute, AuthedEnv> = async (
  c,
) => {
  const records = await produceUsageRecordsNow(c.get('deps'), {
    actorId: c.get('principal').userId,
    requestId: c.get('requestId'),
    userId: c.req.valid('json').user_id,
  });
  return c.json({ items: records.map(toUsageRecordResponse) }, 200);
};
