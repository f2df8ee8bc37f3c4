import { createRoute, z } from '@hono/zod-openapi';
import { apiKeySchema } from '../auth/api-keys.routes.ts';
import { roles } from '../auth/principal.ts';
import {
  agentRunStatuses,
  agentStopReasons,
  agentTraceKinds,
  toolCallDecisions,
  toolCallStatuses,
} from '../db/tables/agents.ts';
import { documentMimeTypes, documentStatuses, messageRoles } from '../db/tables/rag.ts';
import { usageOperations } from '../db/tables/usage.ts';
import { userStatuses } from '../db/tables/users.ts';
import { guarded } from '../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../http/openapi.ts';
import { safeString } from '../http/text-safety.ts';

const json = z.unknown();
const timestamp = z.string();

export const exportedDocumentSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  source: z.string().nullable(),
  mime_type: z.enum(documentMimeTypes),
  content: z.string().openapi({ description: 'As uploaded (HTML as sent)' }),
  status: z.enum(documentStatuses),
  metadata: z.record(z.string(), z.unknown()),
  created_at: timestamp,
  updated_at: timestamp,
  ingested_at: timestamp.nullable(),
});

export const exportedConversationSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const exportedMessageSchema = z.object({
  id: z.number().int(),
  conversation_id: z.uuid(),
  role: z.enum(messageRoles),
  content: z.string(),
  citations: z.array(json),
  model: z.string().nullable(),
  created_at: timestamp,
});

export const exportedAgentRunSchema = z.object({
  id: z.uuid(),
  parent_run_id: z.uuid().nullable(),
  profile: z.string(),
  model: z.string(),
  input: z.string(),
  status: z.enum(agentRunStatuses),
  stop_reason: z.enum(agentStopReasons).nullable(),
  answer: z.string().nullable(),
  steps: z.number().int(),
  step_summaries: z.array(json),
  tool_calls: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  cost_usd: z.number(),
  created_at: timestamp,
  finished_at: timestamp.nullable(),
});

export const exportedTraceEntrySchema = z.object({
  run_id: z.uuid(),
  seq: z.number().int(),
  step: z.number().int(),
  kind: z.enum(agentTraceKinds),
  detail: z.record(z.string(), z.unknown()),
  created_at: timestamp,
});

export const exportedToolCallSchema = z.object({
  run_id: z.uuid(),
  step: z.number().int(),
  tool: z.string(),
  arguments: json.openapi({ description: 'Secrets redacted' }),
  decision: z.enum(toolCallDecisions),
  status: z.enum(toolCallStatuses),
  latency_ms: z.number().int(),
  error: z.string().nullable(),
  created_at: timestamp,
});

export const exportedUsageEventSchema = z.object({
  created_at: timestamp,
  request_id: z.string().nullable(),
  route: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  operation: z.enum(usageOperations),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  cost_usd: z.number(),
  status: z.string(),
});

export const accountExportSchema = z
  .object({
    format: z.literal('cairn-export/1'),
    exported_at: timestamp,
    user: z.object({
      id: z.string(),
      role: z.enum(roles),
      plan: z.string(),
      status: z.enum(userStatuses),
      created_at: timestamp,
    }),
    api_keys: z.array(apiKeySchema),
    documents: z.array(exportedDocumentSchema),
    conversations: z.array(exportedConversationSchema),
    messages: z.array(exportedMessageSchema),
    agent_runs: z.array(exportedAgentRunSchema),
    agent_trace: z.array(exportedTraceEntrySchema),
    agent_tool_calls: z.array(exportedToolCallSchema),
    usage_events: z.array(exportedUsageEventSchema),
  })
  .openapi('AccountExport');

export const erasureReportSchema = z
  .object({
    documents: z.number().int().openapi({ description: 'Deleted, with their chunks and vectors' }),
    conversations: z.number().int().openapi({ description: 'Deleted, with their messages' }),
    agent_runs: z.number().int().openapi({ description: 'Deleted, with their traces' }),
    agent_tool_calls: z.number().int(),
    api_keys: z.number().int(),
    usage_events_anonymised: z
      .number()
      .int()
      .openapi({ description: 'Kept for billing, the user id replaced by a random pseudonym' }),
    billing_rows_anonymised: z
      .number()
      .int()
      .openapi({ description: 'Subscriptions, billing events, usage records' }),
    user: z.boolean().openapi({ description: 'Whether the user row existed and was deleted' }),
  })
  .openapi('ErasureReport');

export const exportAccountRoute = createRoute({
  method: 'get',
  path: '/me/export',
  operationId: 'exportAccount',
  tags: ['account'],
  summary: 'Everything stored about the caller, as one JSON document (streamed)',
  description:
    'Documents (as uploaded), conversations and messages, agent runs with their traces and tool calls, API keys (never their secrets or hashes) and usage events. The body is streamed as it is read in bounded batches, so its size is that of the data; chunks and embeddings are derived from the documents and left out. JWT only: API keys are refused.',
  ...guarded({ routeClass: 'read' }),
  responses: {
    200: jsonResponse(accountExportSchema, "The caller's data"),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const eraseAccountRoute = createRoute({
  method: 'delete',
  path: '/me',
  operationId: 'eraseAccount',
  tags: ['account'],
  summary: 'Erase everything stored about the caller (usage kept anonymised for billing)',
  description:
    'Deletes documents, chunks, conversations, messages, agent runs and traces, tool-call audit rows, API keys and the user; usage events and billing rows are kept with the user id replaced by a random pseudonym. Idempotent. A later request with the same JWT starts a new, empty account. JWT only: API keys are refused.',
  ...guarded({ routeClass: 'write' }),
  responses: {
    200: jsonResponse(erasureReportSchema, 'What was erased'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const eraseUserRoute = createRoute({
  method: 'delete',
  path: '/admin/users/{id}/data',
  operationId: 'eraseUser',
  tags: ['admin'],
  summary: "Erase a user's data, as DELETE /me does for the caller; recorded in the admin audit",
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    params: z.object({
      id: safeString()
        .min(1)
        .max(4096)
        .openapi({ param: { name: 'id', in: 'path' }, description: 'The user id (JWT subject)' }),
    }),
  },
  responses: {
    200: jsonResponse(erasureReportSchema, 'What was erased'),
    ...authErrorResponses,
    ...problemResponses,
  },
});
