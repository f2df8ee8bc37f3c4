import type { RouteHandler, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { AppError, notFound } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { problemBody } from '../../http/problem.ts';
import { toSecurityReport } from '../../security/security.schemas.ts';
import { toAgentLimits } from '../agents.schemas.ts';
import type { AgentEvent, AgentRun, TraceEntry } from './agent-run.ts';
import { resumeRun, startRun } from './run-loop.ts';
import { getRun, getTrace, listRuns } from './run-store.ts';
import type {
  agentRunDetailSchema,
  agentRunSchema,
  approveRunRoute,
  createRunRoute,
  getRunRoute,
  listRunsRoute,
  rejectRunRoute,
} from './runs.routes.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

const toRunResponse = (run: AgentRun): z.input<typeof agentRunSchema> => ({
  run_id: run.id,
  agent: run.profile,
  parent_run_id: run.parentRunId,
  depth: run.depth,
  model: run.model,
  input: run.input,
  status: run.status,
  stop_reason: run.stopReason,
  answer: run.answer,
  citations: run.citations.map((c) => ({
    chunk_id: c.chunkId,
    document_id: c.documentId,
    document_title: c.documentTitle,
    heading_path: c.headingPath,
    score: c.score,
  })),
  steps: run.steps.map((s) => ({
    step: s.step,
    decision: s.decision,
    tool_calls: s.toolCalls.map((t) => ({
      id: t.id,
      tool: t.tool,
      decision: t.decision,
      status: t.status,
      latency_ms: t.latencyMs,
    })),
    tokens_in: s.tokensIn,
    tokens_out: s.tokensOut,
    cost_usd: s.costUsd,
    latency_ms: s.latencyMs,
  })),
  usage: {
    model_calls: run.usage.modelCalls,
    tokens_in: run.usage.tokensIn,
    tokens_out: run.usage.tokensOut,
    cost_usd: run.usage.costUsd,
  },
  limits: {
    max_steps: run.limits.maxSteps,
    max_depth: run.limits.maxDepth,
    timeout_ms: run.limits.timeoutMs,
    tool_timeout_ms: run.limits.toolTimeoutMs,
    max_tool_calls_per_step: run.limits.maxToolCallsPerStep,
    max_arg_retries: run.limits.maxArgRetries,
    max_cost_usd: run.limits.maxCostUsd,
  },
  tools: run.tools,
  pending_approval: run.pendingApproval,
  active_ms: Math.round(run.activeMs),
  created_at: run.createdAt.toISOString(),
  updated_at: run.updatedAt.toISOString(),
  finished_at: iso(run.finishedAt),
  security: toSecurityReport(run.security),
});

const toTraceResponse = (entry: TraceEntry) => ({
  run_id: entry.runId,
  seq: entry.seq,
  step: entry.step,
  kind: entry.kind,
  detail: entry.detail,
  created_at: entry.createdAt.toISOString(),
});

const toDetailResponse = (
  run: AgentRun,
  detail: { runs: AgentRun[]; trace: TraceEntry[] },
): z.input<typeof agentRunDetailSchema> => ({
  ...toRunResponse(run),
  trace: detail.trace.map(toTraceResponse),
  sub_runs: detail.runs.map(toRunResponse),
});

/** An event as its SSE `data`: the run events carry the AgentRun body, the others their step's facts. */
function eventData(event: AgentEvent): unknown {
  switch (event.type) {
    case 'run':
    case 'final':
      return toRunResponse(event.run);
    case 'model_decision':
      return {
        run_id: event.runId,
        step: event.step,
        content: event.content,
        tool_calls: event.toolCalls,
        usage: {
          tokens_in: event.usage.tokensIn,
          tokens_out: event.usage.tokensOut,
          cost_usd: event.usage.costUsd,
        },
        latency_ms: event.latencyMs,
      };
    case 'tool_call':
      return {
        run_id: event.runId,
        step: event.step,
        id: event.id,
        tool: event.tool,
        arguments: event.arguments,
        decision: event.decision,
      };
    case 'tool_result':
      return {
        run_id: event.runId,
        step: event.step,
        id: event.id,
        tool: event.tool,
        status: event.status,
        result: event.result,
        latency_ms: event.latencyMs,
      };
  }
}

/**
 * Answers with the run as JSON once it finishes or pauses, or streams its events. The first event
 * is awaited before a stream opens, so a refused run (unknown agent, a paused run claimed twice)
 * is still a plain problem response with its status.
 */
async function respond(c: Context<AuthedEnv>, events: AsyncGenerator<AgentEvent, AgentRun>, stream: boolean) {
  const first = await events.next();
  if (!stream) {
    let next = first;
    while (!next.done) next = await events.next();
    return c.json(toRunResponse(next.value), 200);
  }
  return streamSSE(c, async (sse) => {
    try {
      for (let next = first; !next.done; next = await events.next()) {
        await sse.writeSSE({ event: next.value.type, data: JSON.stringify(eventData(next.value)) });
      }
    } catch (error) {
      c.get('logger').error('agent run stream failed', { err: error });
      const problem = problemBody({
        status: error instanceof AppError ? error.status : 500,
        slug: error instanceof AppError ? error.slug : 'internal-error',
        title: error instanceof AppError ? error.title : 'The run could not be completed',
        detail: error instanceof AppError ? error.message : 'The run failed midway.',
        requestId: c.get('requestId'),
      });
      await sse.writeSSE({ event: 'error', data: JSON.stringify(problem) });
    }
  });
}

const wantsStream = (c: Context<AuthedEnv>, stream: boolean | undefined) =>
  stream === true || (c.req.header('accept') ?? '').includes('text/event-stream');

export const createRunHandler: RouteHandler<typeof createRunRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const principal = c.get('principal');
  const events = startRun(c.get('deps'), {
    ownerId: principal.userId,
    role: principal.role,
    agent: body.agent,
    input: body.input,
    limits: toAgentLimits(body.limits ?? {}),
    meta: callMeta(c, '/agent/runs'),
  });
  return respond(c, events, wantsStream(c, body.stream));
};

const decide =
  (decision: 'approve' | 'reject', route: string) =>
  async (c: Context<AuthedEnv>, id: string, stream: boolean | undefined) => {
    const principal = c.get('principal');
    const events = resumeRun(c.get('deps'), {
      runId: id,
      ownerId: principal.userId,
      role: principal.role,
      decision,
      meta: callMeta(c, route),
    });
    return respond(c, events, wantsStream(c, stream));
  };

const approve = decide('approve', '/agent/runs/{id}/approve');
const reject = decide('reject', '/agent/runs/{id}/reject');

export const approveRunHandler: RouteHandler<typeof approveRunRoute, AuthedEnv> = async (c) =>
  approve(c, c.req.valid('param').id, c.req.valid('json')?.stream);

export const rejectRunHandler: RouteHandler<typeof rejectRunRoute, AuthedEnv> = async (c) =>
  reject(c, c.req.valid('param').id, c.req.valid('json')?.stream);

export const getRunHandler: RouteHandler<typeof getRunRoute, AuthedEnv> = async (c) => {
  const deps = c.get('deps');
  const run = await getRun(deps, { runId: c.req.valid('param').id, ownerId: c.get('principal').userId });
  if (!run) throw notFound('There is no such run.');
  return c.json(toDetailResponse(run, await getTrace(deps, run)), 200);
};

export const listRunsHandler: RouteHandler<typeof listRunsRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listRuns(c.get('deps'), {
    ownerId: c.get('principal').userId,
    limit: query.limit,
    cursor: query.cursor,
  });
  return c.json(toPageResponse(page, toRunResponse), 200);
};
