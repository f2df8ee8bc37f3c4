import {
  bigint,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** Limits a profile or a request sets, each at most the setting's value (the loop clamps). */
export interface AgentLimitsColumn {
  max_steps?: number;
  max_depth?: number;
  timeout_ms?: number;
  tool_timeout_ms?: number;
  max_tool_calls_per_step?: number;
  max_arg_retries?: number;
  max_cost_usd?: number;
}

/** Agent profiles admins manage; the built-in `assistant` applies until a row replaces it. */
export const agentProfiles = pgTable('agent_profiles', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  systemPrompt: text('system_prompt').notNull(),
  // The allowlist: the only tools the model is offered and may call.
  tools: text('tools').array().notNull(),
  // Side-effecting tools whose calls pause the run until its owner approves.
  approvalTools: text('approval_tools').array().notNull().default([]),
  model: text('model'),
  limits: jsonb('limits').$type<AgentLimitsColumn>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const agentRunStatuses = ['running', 'awaiting_approval', 'finished'] as const;
export type AgentRunStatus = (typeof agentRunStatuses)[number];

// `error`: the model could not be reached (after its retries); the run still answers.
export const agentStopReasons = [
  'completed',
  'max_steps',
  'max_depth',
  'timeout',
  'budget',
  'rejected',
  'error',
] as const;
export type AgentStopReason = (typeof agentStopReasons)[number];

/** One agent run (a sub-agent's run has a parent); `state` holds what a paused run resumes from. */
export const agentRuns = pgTable(
  'agent_runs',
  {
    id: uuid('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    parentRunId: uuid('parent_run_id'),
    depth: smallint('depth').notNull().default(0),
    profile: text('profile').notNull(),
    model: text('model').notNull(),
    input: text('input').notNull(),
    status: text('status', { enum: agentRunStatuses }).notNull(),
    stopReason: text('stop_reason', { enum: agentStopReasons }),
    answer: text('answer'),
    citations: jsonb('citations').$type<unknown[]>().notNull().default([]),
    limits: jsonb('limits').$type<Required<AgentLimitsColumn>>().notNull(),
    tools: text('tools').array().notNull(),
    state: jsonb('state'),
    steps: integer('steps').notNull().default(0),
    // One summary per step (the model's decision and each call's outcome), for answers and lists.
    stepSummaries: jsonb('step_summaries').$type<unknown[]>().notNull().default([]),
    toolCalls: integer('tool_calls').notNull().default(0),
    modelCalls: integer('model_calls').notNull().default(0),
    tokensIn: integer('tokens_in').notNull().default(0),
    tokensOut: integer('tokens_out').notNull().default(0),
    costUsd: numeric('cost_usd', { precision: 18, scale: 10 }).notNull().default('0'),
    // Time the loop spent working, excluding time paused for approval (AGENT_TIMEOUT_MS counts this).
    activeMs: integer('active_ms').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('agent_runs_owner_created_idx').on(t.ownerId, t.createdAt, t.id),
    index('agent_runs_parent_idx').on(t.parentRunId),
  ],
);

export const agentTraceKinds = ['model', 'tool'] as const;
export type AgentTraceKind = (typeof agentTraceKinds)[number];

/** A run's decision chain, in order: each model call and each tool call. */
export const agentTrace = pgTable(
  'agent_trace',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id')
      .notNull()
      .references(() => agentRuns.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    step: integer('step').notNull(),
    kind: text('kind', { enum: agentTraceKinds }).notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('agent_trace_run_seq_idx').on(t.runId, t.seq)],
);

export const toolCallDecisions = [
  'executed',
  'blocked_allowlist',
  'blocked_role',
  'blocked_validation',
  'blocked_limit',
  'awaiting_approval',
  'rejected',
] as const;
export type ToolCallDecision = (typeof toolCallDecisions)[number];

export const toolCallStatuses = ['ok', 'error', 'timeout', 'blocked', 'pending'] as const;
export type ToolCallStatus = (typeof toolCallStatuses)[number];

/**
 * The audit log: one row per attempted tool call, whatever became of it. No foreign key to runs:
 * the log outlives what it records.
 */
export const agentToolAudit = pgTable(
  'agent_tool_audit',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    runId: uuid('run_id').notNull(),
    step: integer('step').notNull(),
    userId: text('user_id').notNull(),
    tool: text('tool').notNull(),
    // Secrets redacted before the row is written.
    arguments: jsonb('arguments').notNull(),
    decision: text('decision', { enum: toolCallDecisions }).notNull(),
    status: text('status', { enum: toolCallStatuses }).notNull(),
    latencyMs: integer('latency_ms').notNull(),
    resultBytes: integer('result_bytes').notNull(),
    error: text('error'),
  },
  (t) => [
    index('agent_tool_audit_created_idx').on(t.createdAt, t.id),
    index('agent_tool_audit_user_idx').on(t.userId, t.createdAt),
    index('agent_tool_audit_run_idx').on(t.runId),
  ],
);
