import { and, asc, eq, inArray } from 'drizzle-orm';
import { agentRuns, agentToolAudit, agentTrace } from '../../db/schema.ts';
import type { AgentStopReason, ToolCallDecision, ToolCallStatus } from '../../db/tables/agents.ts';
import type { Deps } from '../../deps.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import { storableText } from '../../http/text-safety.ts';
import type { AgentLimits } from '../agent-limits.ts';
import type { AgentRun, PausedState, RunCitation, RunUsage, StepSummary, TraceEntry } from './agent-run.ts';

type RunRow = typeof agentRuns.$inferSelect;

/** A copy of model- or tool-produced data PostgreSQL can store (jsonb holds no NUL or lone surrogate). */
function storable<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'string' ? storableText(inner) : inner,
    ),
  ) as T;
}

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
  outcome: RunProgress & { stopReason: AgentStopReason; answer: string; citations: RunCitation[] },
): Promise<AgentRun> {
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

/** Writes one step's trace entries and audit rows in one transaction (the step's only writes). */
export async function recordStep(
  deps: Pick<Deps, 'db'>,
  trace: TraceEntry[],
  audit: AuditRecord[],
): Promise<void> {
  if (trace.length === 0 && audit.length === 0) return;
  await deps.db.transaction(async (tx) => {
    if (trace.length > 0)
      await tx
        .insert(agentTrace)
        .values(trace.map((entry) => ({ ...entry, detail: storable(entry.detail) })));
    if (audit.length > 0) {
      await tx.insert(agentToolAudit).values(
        audit.map((a) => ({
          createdAt: a.at,
          runId: a.runId,
          step: a.step,
          userId: a.userId,
          tool: a.tool.slice(0, 200),
          arguments: storable(a.arguments ?? {}),
          decision: a.decision,
          status: a.status,
          latencyMs: Math.round(a.latencyMs),
          resultBytes: a.resultBytes,
          error: a.error === null ? null : storableText(a.error),
        })),
      );
    }
  });
}
