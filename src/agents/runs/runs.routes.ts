import { createRoute, z } from '@hono/zod-openapi';
import { quotaDemands } from '../../billing/quotas/quota-demands.ts';
import { agentRunStatuses, agentStopReasons, agentTraceKinds } from '../../db/tables/agents.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses, sseContent, sseEvent } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { problemSchema } from '../../http/problem.ts';
import { safeString } from '../../http/text-safety.ts';
import { securityReportSchema } from '../../security/security.schemas.ts';
import { agentLimitsSchema, agentNameSchema } from '../agents.schemas.ts';

const runCitationSchema = z
  .object({
    chunk_id: z.number().int(),
    document_id: z.uuid(),
    document_title: z.string(),
    heading_path: z.array(z.string()),
    score: z.number(),
  })
  .openapi('AgentCitation');

const stepSummarySchema = z
  .object({
    step: z.number().int(),
    decision: z.enum(['tool_calls', 'answer']),
    tool_calls: z.array(
      z.object({
        id: z.string(),
        tool: z.string(),
        decision: z.string().openapi({
          description:
            'executed, blocked_allowlist, blocked_role, blocked_validation, blocked_limit, awaiting_approval or rejected',
        }),
        status: z.string().openapi({ description: 'ok, error, timeout, blocked or pending' }),
        latency_ms: z.number().int(),
      }),
    ),
    tokens_in: z.number().int(),
    tokens_out: z.number().int(),
    cost_usd: z.number(),
    latency_ms: z.number().int(),
  })
  .openapi('AgentStepSummary');

const effectiveLimitsSchema = z
  .object({
    max_steps: z.number().int(),
    max_depth: z.number().int(),
    timeout_ms: z.number().int(),
    tool_timeout_ms: z.number().int(),
    max_tool_calls_per_step: z.number().int(),
    max_arg_retries: z.number().int(),
    max_cost_usd: z.number(),
  })
  .openapi('AgentRunLimits');

export const agentRunSchema = z
  .object({
    run_id: z.uuid(),
    agent: z.string(),
    parent_run_id: z.uuid().nullable(),
    depth: z.number().int(),
    model: z.string(),
    input: z.string(),
    status: z.enum(agentRunStatuses),
    stop_reason: z.enum(agentStopReasons).nullable().openapi({ description: 'Set once the run is finished' }),
    answer: z.string().nullable(),
    citations: z.array(runCitationSchema),
    steps: z.array(stepSummarySchema),
    usage: z.object({
      model_calls: z.number().int(),
      tokens_in: z.number().int(),
      tokens_out: z.number().int(),
      cost_usd: z.number(),
    }),
    limits: effectiveLimitsSchema,
    tools: z.array(z.string()).openapi({ description: "The run's tool allowlist" }),
    pending_approval: z
      .array(z.object({ id: z.string(), tool: z.string(), arguments: z.unknown() }))
      .openapi({ description: 'Calls waiting for POST /agent/runs/{id}/approve or /reject' }),
    active_ms: z
      .number()
      .int()
      .openapi({ description: 'Time spent working, excluding time paused for approval' }),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
    security: securityReportSchema.optional(),
  })
  .openapi('AgentRun');

const traceEntrySchema = z
  .object({
    run_id: z.uuid(),
    seq: z.number().int(),
    step: z.number().int(),
    kind: z.enum(agentTraceKinds),
    detail: z.record(z.string(), z.unknown()).openapi({
      description:
        'model: model, tokens_in, tokens_out, cost_usd, latency_ms, decision, tool_calls, content (secrets redacted); tool: id, tool, arguments (redacted), decision, status, latency_ms, result_bytes, result (secrets redacted) or error, injection ({signals, score, withheld}) when the detector flagged the result, redacted_secrets (the kinds) when any were',
    }),
    created_at: z.string(),
  })
  .openapi('AgentTraceEntry');

export const agentRunDetailSchema = agentRunSchema
  .extend({
    trace: z
      .array(traceEntrySchema)
      .openapi({ description: 'The decision chain, sub-agent runs included, in order' }),
    sub_runs: z.array(agentRunSchema),
  })
  .openapi('AgentRunDetail');

const createRunRequestSchema = z
  .object({
    agent: agentNameSchema.default('assistant').openapi({ description: 'The profile to run' }),
    input: safeString().trim().min(1).max(200_000).openapi({
      description: 'The task (at most AGENT_MAX_INPUT_CHARS characters)',
      example: 'What is 17.5% of 2480?',
    }),
    limits: agentLimitsSchema.optional().openapi({ description: "Lower the profile's limits for this run" }),
    stream: z.boolean().default(false).openapi({ description: 'Report the run as Server-Sent Events' }),
  })
  .openapi('CreateAgentRunRequest', { example: { agent: 'assistant', input: 'What is 17.5% of 2480?' } });

const runIdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const streamDescription =
  'SSE events: `run` (AgentRun, at the start), then per step `model_decision`, `tool_call` and `tool_result`, and `final` (AgentRun); `error` (a problem) if the run fails midway.';

const stepFacts = { run_id: z.uuid(), step: z.number().int() };

// What `stream: true` answers: the run's steps as they happen, between the run at the start and at the end.
const runStreamContent = sseContent(
  'AgentRunStreamEvents',
  [
    sseEvent('run', agentRunSchema, 'The run as it starts (or continues)'),
    sseEvent(
      'model_decision',
      z.object({
        ...stepFacts,
        content: z.string().nullable(),
        tool_calls: z.array(z.object({ id: z.string(), tool: z.string(), arguments: z.string() })),
        usage: z.object({ tokens_in: z.number().int(), tokens_out: z.number().int(), cost_usd: z.number() }),
        latency_ms: z.number().int(),
      }),
      "The model's decision of a step: an answer, or tool calls",
    ),
    sseEvent(
      'tool_call',
      z.object({
        ...stepFacts,
        id: z.string(),
        tool: z.string(),
        arguments: z.unknown(),
        decision: z.string(),
      }),
      'A tool call and the policy decision on it (executed, blocked_*, awaiting_approval, rejected)',
    ),
    sseEvent(
      'tool_result',
      z.object({
        ...stepFacts,
        id: z.string(),
        tool: z.string(),
        status: z.string(),
        result: z.unknown(),
        latency_ms: z.number().int(),
      }),
      "A tool call's outcome (ok, error, timeout)",
    ),
    sseEvent('final', agentRunSchema, 'The run, finished or paused for approval; the last event'),
    sseEvent('error', problemSchema, 'The run failed midway (a problem); the last event'),
  ],
  'The events of `stream: true`, in order: `run`, per step `model_decision`, `tool_call` and `tool_result`, then `final`, or `error`.',
);

const runResponses = {
  200: {
    description: 'The run: finished, or paused awaiting approval',
    content: {
      'application/json': { schema: agentRunSchema },
      ...runStreamContent,
    },
  },
  ...authErrorResponses,
  ...problemResponses,
};

export const createRunRoute = createRoute({
  method: 'post',
  path: '/agent/runs',
  operationId: 'createAgentRun',
  tags: ['agents'],
  summary: 'Run an agent on a task (JSON, or SSE with stream: true)',
  description: streamDescription,
  ...guarded({ routeClass: 'model', idempotent: true, quota: quotaDemands.agentRun }),
  request: { body: { required: true, content: { 'application/json': { schema: createRunRequestSchema } } } },
  responses: runResponses,
});

const decisionRequest = {
  body: {
    required: false,
    content: {
      'application/json': {
        schema: z
          .object({
            stream: z.boolean().default(false).openapi({ description: 'Report the rest of the run as SSE' }),
          })
          .openapi('AgentRunDecisionRequest', { example: { stream: false } }),
      },
    },
  },
};

export const approveRunRoute = createRoute({
  method: 'post',
  path: '/agent/runs/{id}/approve',
  operationId: 'approveAgentRun',
  tags: ['agents'],
  summary: 'Approve the calls a paused run waits for, and continue it',
  description: `409 when the run is not awaiting approval. ${streamDescription}`,
  ...guarded({ routeClass: 'model', idempotent: true, quota: quotaDemands.agentContinue }),
  request: { params: runIdParams, ...decisionRequest },
  responses: runResponses,
});

export const rejectRunRoute = createRoute({
  method: 'post',
  path: '/agent/runs/{id}/reject',
  operationId: 'rejectAgentRun',
  tags: ['agents'],
  summary: 'Reject the calls a paused run waits for: the run ends with stop_reason rejected',
  ...guarded({ routeClass: 'write', idempotent: true }),
  request: { params: runIdParams, ...decisionRequest },
  responses: runResponses,
});

export const getRunRoute = createRoute({
  method: 'get',
  path: '/agent/runs/{id}',
  operationId: 'getAgentRun',
  tags: ['agents'],
  summary: 'A run with its decision trace and its sub-agent runs',
  ...guarded({ routeClass: 'read' }),
  request: { params: runIdParams },
  responses: {
    200: { description: 'The run', content: { 'application/json': { schema: agentRunDetailSchema } } },
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const listRunsRoute = createRoute({
  method: 'get',
  path: '/agent/runs',
  operationId: 'listAgentRuns',
  tags: ['agents'],
  summary: "The caller's runs, newest first (sub-agent runs included)",
  ...guarded({ routeClass: 'read' }),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: 'A page of runs',
      content: { 'application/json': { schema: pageSchema(agentRunSchema, 'AgentRunPage') } },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});
