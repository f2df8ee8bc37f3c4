import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { agentRuns, agentTrace } from '../../db/schema.ts';
import type { AgentStopReason, ToolCallDecision, ToolCallStatus } from '../../db/tables/agents.ts';
import type { Deps } from '../../deps.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import { storableText } from '../../http/text-safety.ts';
import type { AgentLimits } from '../agent-limits.ts';
import type { AgentRun, PausedState, RunCitation, RunUsage, StepSummary, TraceEntry } from './agent-run.ts';

type RunRow = typeof agentRuns.$inferSelect;

/** Model- or tool-produced data as JSON PostgreSQL can store (jsonb holds no NUL or lone surrogate). */
const storableJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'string' ? storableText(inner) : inner));

/** A copy of such data, for a drizzle jsonb column. */
const storable = <T>(value: T): T => JSON.parse(storableJson(value)) as T;

const storedLimits = (limits: AgentLimits) => ({
  max_steps: limits.maxSteps,
  max_depth: limits.maxDepth,
  timeout_ms: limits.timeoutMs,
  tool_timeout_ms: limits.toolTimeoutMs,
  max_tool_calls_per_step: limits.maxToolCallsPerStep,
  max_arg_retries: limits.maxArgRetries,
  max_cost_usd: limits.maxCostUsd,
});

const toRun = (row: RunRow): AgentRun => {
  const state = row.state as PausedState | null;
  return {
    id: row.id,
    ownerId: row.ownerId,
    parentRunId: row.parentRunId,
    depth: row.depth,
    profile: row.profile,
    model: row.model,
    input: row.input,
    status: row.status,
    stopReason: row.stopReason,
    answer: row.answer,
    citations: row.citations as RunCitation[],
    limits: {
      maxSteps: row.limits.max_steps,
      maxDepth: row.limits.max_depth,
      timeoutMs: row.limits.timeout_ms,
      toolTimeoutMs: row.limits.tool_timeout_ms,
      maxToolCallsPerStep: row.limits.max_tool_calls_per_step,
      maxArgRetries: row.limits.max_arg_retries,
      maxCostUsd: row.limits.max_cost_usd,
    },
    tools: row.tools,
    steps: row.stepSummaries as StepSummary[],
    usage: {
      modelCalls: row.modelCalls,
      tokensIn: row.tokensIn,
      tokensOut: row.tokensOut,
      costUsd: Number(row.costUsd),
    },
    pendingApproval:
      row.status === 'awaiting_approval' && state
        ? state.calls
            .filter((call) => call.settled === undefined)
            .map((call) => ({ id: call.id, tool: call.name, arguments: parseArguments(call.arguments) }))
        : [],
    activeMs: row.activeMs,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
};

/** Arguments as the model wrote them, parsed when they are JSON (as they are shown back to people). */
export function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function insertRun(
  deps: Pick<Deps, 'db'>,
  run: Pick<
    AgentRun,
    'id' | 'ownerId' | 'parentRunId' | 'depth' | 'profile' | 'model' | 'input' | 'limits' | 'tools'
  > & {
    at: Date;
  },
): Promise<AgentRun> {
  const [row] = await deps.db
    .insert(agentRuns)
    .values({
      id: run.id,
      ownerId: run.ownerId,
      parentRunId: run.parentRunId,
      depth: run.depth,
      profile: run.profile,
      model: run.model,
      input: run.input,
      status: 'running',
      limits: storedLimits(run.limits),
      tools: run.tools,
      createdAt: run.at,
      updatedAt: run.at,
    })
    .returning();
  return toRun(row!);
}

/** The progress a run has made, written at each pause and at its end. */
export interface RunProgress {
  steps: StepSummary[];
  usage: RunUsage;
  toolCalls: number;
  activeMs: number;
  at: Date;
}

const progressColumns = (progress: RunProgress) => ({
  steps: progress.steps.length,
  stepSummaries: storable(progress.steps),
  modelCalls: progress.usage.modelCalls,
  toolCalls: progress.toolCalls,
  tokensIn: progress.usage.tokensIn,
  tokensOut: progress.usage.tokensOut,
  costUsd: progress.usage.costUsd.toFixed(10),
  activeMs: Math.round(progress.activeMs),
  updatedAt: progress.at,
});

export async function finishRun(
  deps: Pick<Deps, 'db'>,
  runId: string,
  outcome: RunProgress & {
    stopReason: AgentStopReason;
    answer: string;
    citations: RunCitation[];
    /** The last step's trace entries, written first. */
    trace: TraceEntry[];
  },
): Promise<AgentRun> {
  if (outcome.trace.length > 0) await recordStep(deps, outcome.trace, []);
  const [row] = await deps.db
    .update(agentRuns)
    .set({
      ...progressColumns(outcome),
      status: 'finished',
      stopReason: outcome.stopReason,
      answer: storableText(outcome.answer),
      citations: storable(outcome.citations),
      state: null,
      finishedAt: outcome.at,
    })
    .where(eq(agentRuns.id, runId))
    .returning();
  return toRun(row!);
}

export async function pauseRun(
  deps: Pick<Deps, 'db'>,
  runId: string,
  progress: RunProgress & { state: PausedState },
): Promise<AgentRun> {
  const [row] = await deps.db
    .update(agentRuns)
    .set({ ...progressColumns(progress), status: 'awaiting_approval', state: storable(progress.state) })
    .where(eq(agentRuns.id, runId))
    .returning();
  return toRun(row!);
}

/**
 * Takes a paused run back for its owner: only one caller can move it from `awaiting_approval`
 * to `running`, so two concurrent approvals cannot both resume it.
 */
export async function claimPausedRun(
  deps: Pick<Deps, 'db'>,
  input: { runId: string; ownerId: string; at: Date },
): Promise<{ run: AgentRun; state: PausedState } | undefined> {
  const [row] = await deps.db
    .update(agentRuns)
    .set({ status: 'running', updatedAt: input.at })
    .where(
      and(
        eq(agentRuns.id, input.runId),
        eq(agentRuns.ownerId, input.ownerId),
        eq(agentRuns.status, 'awaiting_approval'),
      ),
    )
    .returning();
  return row ? { run: toRun(row), state: row.state as PausedState } : undefined;
}

export async function getRun(
  deps: Pick<Deps, 'db'>,
  input: { runId: string; ownerId: string },
): Promise<AgentRun | undefined> {
  const [row] = await deps.db
    .select()
    .from(agentRuns)
    .where(and(eq(agentRuns.id, input.runId), eq(agentRuns.ownerId, input.ownerId)));
  return row ? toRun(row) : undefined;
}

/** The caller's runs (sub-agent runs included), newest first. */
export async function listRuns(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & { ownerId: string },
): Promise<Page<AgentRun>> {
  return keysetPage(
    input,
    { timestamp: agentRuns.createdAt, id: agentRuns.id },
    (keyset) =>
      deps.db
        .select({ row: agentRuns, id: agentRuns.id, sortKey: keyset.sortKey })
        .from(agentRuns)
        .where(and(eq(agentRuns.ownerId, input.ownerId), keyset.after))
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ row }) => toRun(row),
  );
}

/** The decision chain of a run and of its sub-agent runs, in the order it was written. */
export async function getTrace(
  deps: Pick<Deps, 'db'>,
  run: AgentRun,
): Promise<{ runs: AgentRun[]; trace: TraceEntry[] }> {
  const runs = [run];
  let frontier = [run.id];
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const children = await deps.db
      .select()
      .from(agentRuns)
      .where(and(inArray(agentRuns.parentRunId, frontier), eq(agentRuns.ownerId, run.ownerId)))
      .orderBy(asc(agentRuns.createdAt));
    runs.push(...children.map(toRun));
    frontier = children.map((child) => child.id);
  }
  const rows = await deps.db
    .select()
    .from(agentTrace)
    .where(
      inArray(
        agentTrace.runId,
        runs.map((r) => r.id),
      ),
    )
    .orderBy(asc(agentTrace.id));
  return {
    runs: runs.slice(1),
    trace: rows.map((row) => ({
      runId: row.runId,
      seq: row.seq,
      step: row.step,
      kind: row.kind,
      detail: row.detail,
      createdAt: row.createdAt,
    })),
  };
}

export interface AuditRecord {
  at: Date;
  runId: string;
  step: number;
  userId: string;
  tool: string;
  arguments: unknown;
  decision: ToolCallDecision;
  status: ToolCallStatus;
  latencyMs: number;
  resultBytes: number;
  error: string | null;
}

const traceRecords = (trace: TraceEntry[]) =>
  trace.map((entry) => ({
    run_id: entry.runId,
    seq: entry.seq,
    step: entry.step,
    kind: entry.kind,
    detail: entry.detail,
    created_at: entry.createdAt.toISOString(),
  }));

// Rows travel as one JSON parameter and are unpacked in SQL: a step's writes are one statement
// (one round trip), whatever its number of calls. Ordered by seq so ids follow the trace's order.
const insertTrace = (json: string) => sql`
  insert into agent_trace (run_id, seq, step, kind, detail, created_at)
  select r.run_id, r.seq, r.step, r.kind, r.detail, r.created_at
  from jsonb_to_recordset(${json}::jsonb)
    as r(run_id uuid, seq int, step int, kind text, detail jsonb, created_at timestamptz)
  order by r.seq`;

/** Writes one step's trace entries and audit rows in one statement (the step's only write). */
export async function recordStep(
  deps: Pick<Deps, 'db'>,
  trace: TraceEntry[],
  audit: AuditRecord[],
): Promise<void> {
  if (audit.length === 0) {
    if (trace.length > 0) await deps.db.execute(insertTrace(storableJson(traceRecords(trace))));
    return;
  }
  const auditJson = storableJson(
    audit.map((a) => ({
      created_at: a.at.toISOString(),
      run_id: a.runId,
      step: a.step,
      user_id: a.userId,
      tool: a.tool.slice(0, 200),
      arguments: a.arguments ?? {},
      decision: a.decision,
      status: a.status,
      latency_ms: Math.round(a.latencyMs),
      result_bytes: a.resultBytes,
      error: a.error,
    })),
  );
  await deps.db.execute(sql`
    with trace as (${insertTrace(storableJson(traceRecords(trace)))} returning 1)
    insert into agent_tool_audit
      (created_at, run_id, step, user_id, tool, arguments, decision, status, latency_ms, result_bytes, error)
    select created_at, run_id, step, user_id, tool, arguments, decision, status, latency_ms, result_bytes, error
    from jsonb_to_recordset(${auditJson}::jsonb) as a(created_at timestamptz, run_id uuid, step int,
      user_id text, tool text, arguments jsonb, decision text, status text, latency_ms int,
      result_bytes int, error text)`);
}
