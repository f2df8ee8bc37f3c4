import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { type AdminAuditEntry, listAdminAudit } from '../admin-audit.ts';
import type { adminActionSchema, listAdminActionsRoute } from './actions.routes.ts';

const toAdminActionResponse = (entry: AdminAuditEntry): z.input<typeof adminActionSchema> => ({
  id: entry.id,
  created_at: entry.createdAt.toISOString(),
  actor_id: entry.actorId,
  action: entry.action,
  target: entry.target,
  details: entry.details,
  request_id: entry.requestId,
});

export const listAdminActionsHandler: RouteHandler<typeof listAdminActionsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listAdminAudit(c.get('deps'), {
    limit: query.limit,
    cursor: query.cursor,
    actorId: query.actor_id,
    action: query.action,
    target: query.target,
  });
  return c.json(toPageResponse(page, toAdminActionResponse), 200);
};
