import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import type { auditEntrySchema, listAuditRoute } from './audit.routes.ts';
import { type AuditEntry, listAudit } from './audit-log.ts';

const toAuditEntryResponse = (entry: AuditEntry): z.input<typeof auditEntrySchema> => ({
  id: entry.id,
  created_at: entry.createdAt.toISOString(),
  run_id: entry.runId,
  step: entry.step,
  user_id: entry.userId,
  tool: entry.tool,
  arguments: entry.arguments,
  decision: entry.decision,
  status: entry.status,
  latency_ms: entry.latencyMs,
  result_bytes: entry.resultBytes,
  error: entry.error,
});

export const listAuditHandler: RouteHandler<typeof listAuditRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listAudit(c.get('deps'), {
    limit: query.limit,
    cursor: query.cursor,
    userId: query.user_id,
    tool: query.tool,
    status: query.status,
    decision: query.decision,
    runId: query.run_id,
  });
  return c.json(toPageResponse(page, toAuditEntryResponse), 200);
};
