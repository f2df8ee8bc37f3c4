import { createRoute, z } from '@hono/zod-openapi';
import { toolCallDecisions, toolCallStatuses } from '../../db/tables/agents.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    created_at: z.string(),
    run_id: z.uuid(),
    step: z.number().int(),
    user_id: z.string(),
    tool: z.string(),
    arguments: z.unknown().openapi({ description: 'As the model sent them, secrets redacted' }),
    decision: z.enum(toolCallDecisions),
    status: z.enum(toolCallStatuses),
    latency_ms: z.number().int(),
    result_bytes: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi('AgentToolAuditEntry');

const auditQuerySchema = pageQuerySchema.extend({
  user_id: safeString().min(1).max(255).optional(),
  tool: safeString().min(1).max(64).optional(),
  status: z.enum(toolCallStatuses).optional(),
  decision: z.enum(toolCallDecisions).optional(),
  run_id: z.uuid().optional(),
});

export const listAuditRoute = createRoute({
  method: 'get',
  path: '/admin/audit',
  operationId: 'listAgentToolAudit',
  tags: ['admin'],
  summary: "Agents' tool calls across every user, newest first: what was called, decided and returned",
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: auditQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(auditEntrySchema, 'AgentToolAuditPage'), 'A page of audit entries'),
    ...authErrorResponses,
    ...problemResponses,
  },
});
