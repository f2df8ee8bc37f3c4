import type { RouteHandler, z } from '@hono/zod-openapi';
import { toApiKeyResponse } from '../auth/api-keys.handlers.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import type {
  accountExportSchema,
  eraseAccountRoute,
  eraseUserRoute,
  erasureReportSchema,
  exportAccountRoute,
  exportedAgentRunSchema,
  exportedConversationSchema,
  exportedDocumentSchema,
  exportedMessageSchema,
  exportedToolCallSchema,
  exportedTraceEntrySchema,
  exportedUsageEventSchema,
} from './account.routes.ts';
import { type ErasureReport, eraseUserData } from './erase-user-data.ts';
import {
  type ExportedAgentRun,
  type ExportedConversation,
  type ExportedDocument,
  type ExportedMessage,
  type ExportedToolCall,
  type ExportedTraceEntry,
  type ExportedUsageEvent,
  exportUserData,
  type UserExport,
} from './export-user-data.ts';

type Export = z.input<typeof accountExportSchema>;
const iso = (d: Date | null) => d?.toISOString() ?? null;

const toDocument = (d: ExportedDocument): z.input<typeof exportedDocumentSchema> => ({
  id: d.id,
  title: d.title,
  source: d.source,
  mime_type: d.mimeType,
  content: d.content,
  status: d.status,
  metadata: d.metadata,
  created_at: d.createdAt.toISOString(),
  updated_at: d.updatedAt.toISOString(),
  ingested_at: iso(d.ingestedAt),
});

const toConversation = (c: ExportedConversation): z.input<typeof exportedConversationSchema> => ({
  id: c.id,
  title: c.title,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

const toMessage = (m: ExportedMessage): z.input<typeof exportedMessageSchema> => ({
  id: m.id,
  conversation_id: m.conversationId,
  role: m.role,
  content: m.content,
  citations: m.citations,
  model: m.model,
  created_at: m.createdAt.toISOString(),
});

const toAgentRun = (r: ExportedAgentRun): z.input<typeof exportedAgentRunSchema> => ({
  id: r.id,
  parent_run_id: r.parentRunId,
  profile: r.profile,
  model: r.model,
  input: r.input,
  status: r.status,
  stop_reason: r.stopReason,
  answer: r.answer,
  steps: r.steps,
  step_summaries: r.stepSummaries,
  tool_calls: r.toolCalls,
  tokens_in: r.tokensIn,
  tokens_out: r.tokensOut,
  cost_usd: Number(r.costUsd),
  created_at: r.createdAt.toISOString(),
  finished_at: iso(r.finishedAt),
});

const toTraceEntry = (e: ExportedTraceEntry): z.input<typeof exportedTraceEntrySchema> => ({
  run_id: e.runId,
  seq: e.seq,
  step: e.step,
  kind: e.kind,
  detail: e.detail,
  created_at: e.createdAt.toISOString(),
});

const toToolCall = (a: ExportedToolCall): z.input<typeof exportedToolCallSchema> => ({
  run_id: a.runId,
  step: a.step,
  tool: a.tool,
  arguments: a.arguments,
  decision: a.decision,
  status: a.status,
  latency_ms: a.latencyMs,
  error: a.error,
  created_at: a.createdAt.toISOString(),
});

const toUsageEvent = (u: ExportedUsageEvent): z.input<typeof exportedUsageEventSchema> => ({
  created_at: u.createdAt.toISOString(),
  request_id: u.requestId,
  route: u.route,
  provider: u.provider,
  model: u.model,
  operation: u.operation,
  tokens_in: u.tokensIn,
  tokens_out: u.tokensOut,
  cost_usd: Number(u.costUsd),
  status: u.status,
});

/**
 * The export as JSON text, one section after another, each item serialised as it is read: the
 * body never holds more than one batch of rows.
 */
async function* exportJson(data: UserExport, exportedAt: Date): AsyncGenerator<string> {
  const head: Pick<Export, 'format' | 'exported_at' | 'user'> = {
    format: 'cairn-export/1',
    exported_at: exportedAt.toISOString(),
    user: {
      id: data.user.id,
      role: data.user.role,
      plan: data.user.plan,
      status: data.user.status,
      created_at: data.user.createdAt.toISOString(),
    },
  };
  yield JSON.stringify(head).slice(0, -1);
  const sections: [keyof Export, AsyncIterable<unknown>, (item: never) => unknown][] = [
    ['api_keys', data.apiKeys, toApiKeyResponse],
    ['documents', data.documents, toDocument],
    ['conversations', data.conversations, toConversation],
    ['messages', data.messages, toMessage],
    ['agent_runs', data.agentRuns, toAgentRun],
    ['agent_trace', data.agentTrace, toTraceEntry],
    ['agent_tool_calls', data.agentToolCalls, toToolCall],
    ['usage_events', data.usageEvents, toUsageEvent],
  ];
  for (const [name, items, toItem] of sections) {
    yield `,${JSON.stringify(name)}:[`;
    let first = true;
    for await (const item of items) {
      yield (first ? '' : ',') + JSON.stringify(toItem(item as never));
      first = false;
    }
    yield ']';
  }
  yield '}';
}

export const exportAccountHandler: RouteHandler<typeof exportAccountRoute, AuthedEnv> = async (c) => {
  const deps = c.get('deps');
  const data = await exportUserData(deps, { userId: c.get('principal').userId });
  const chunks = exportJson(data, deps.now());
  const encoder = new TextEncoder();
  const logger = c.get('logger');
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        // Headers are sent: the body ends short (invalid JSON), which the client can tell.
        logger.error('export failed', { err: error });
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const response = c.body(body, 200, {
    'Content-Type': 'application/json',
    'Content-Disposition': 'attachment; filename="cairn-export.json"',
    'Cache-Control': 'no-store',
  });
  // Streamed, so not c.json: the body is typed item by item by the mappers above instead.
  return response as unknown as ReturnType<typeof c.json<Export, 200>>;
};

const toErasureResponse = (report: ErasureReport): z.input<typeof erasureReportSchema> => ({
  documents: report.documents,
  conversations: report.conversations,
  agent_runs: report.agentRuns,
  agent_tool_calls: report.agentToolCalls,
  api_keys: report.apiKeys,
  usage_events_anonymised: report.usageEventsAnonymised,
  billing_rows_anonymised: report.billingRowsAnonymised,
  user: report.user,
});

export const eraseAccountHandler: RouteHandler<typeof eraseAccountRoute, AuthedEnv> = async (c) => {
  const report = await eraseUserData(c.get('deps'), { userId: c.get('principal').userId });
  return c.json(toErasureResponse(report), 200);
};

export const eraseUserHandler: RouteHandler<typeof eraseUserRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const report = await eraseUserData(c.get('deps'), {
    userId: id,
    audit: {
      actorId: c.get('principal').userId,
      action: 'user.erase',
      target: `user:${id}`,
      requestId: c.get('requestId'),
    },
  });
  return c.json(toErasureResponse(report), 200);
};
