import { type Context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { Role } from '../../auth/principal.ts';
import type { AgentStopReason } from '../../db/tables/agents.ts';
import type { Deps } from '../../deps.ts';
import { AppError, conflict, notFound, validationFailed } from '../../errors.ts';
import type { CallMeta, ChatMessage, ToolCall } from '../../llm/llm-client.ts';
import { failSpan, traced } from '../../observability/tracing.ts';
import { injectionRefused, screening, screenText } from '../../security/injection-screen.ts';
import { redactSecrets } from '../../security/secret-scan.ts';
import { DATA_RULES } from '../../security/spotlight.ts';
import { type AgentLimits, limitsFromConfig, lowerLimits } from '../agent-limits.ts';
import { limitsAboveCeiling } from '../agents.schemas.ts';
import { type AgentProfile, builtInAssistant } from '../profiles/agent-profile.ts';
import { getProfile } from '../profiles/profile-store.ts';
import { findTool } from '../tools/registry.ts';
import { type AgentTool, toolDefinition } from '../tools/tool.ts';
import type {
  AgentEvent,
  AgentRun,
  PausedState,
  RunCitation,
  RunUsage,
  StepSummary,
  TraceEntry,
} from './agent-run.ts';
import { factOf, fallbackAnswer } from './fallback-answer.ts';
import { redactArguments } from './redact.ts';
import {
  claimPausedRun,
  finishRun,
  getRun,
  insertRun,
  parseArguments,
  pauseRun,
  recordStep,
} from './run-store.ts';
import {
  auditRecordOf,
  blockedOutcome,
  type CallOutcome,
  type CallPolicy,
  callTimeoutMs,
  checkCall,
  countToolCall,
  runToolCall,
} from './tool-execution.ts';

export interface StartRunInput {
  ownerId: string;
  role: Role;
  agent: string;
  input: string;
  /** The request's own limits: they may lower the profile's, never raise them. */
  limits: Partial<AgentLimits>;
  meta: CallMeta;
}

export interface ResumeRunInput {
  runId: string;
  ownerId: string;
  role: Role;
  decision: 'approve' | 'reject';
  meta: CallMeta;
}

/** What a run carries from step to step (and what a paused run stores to resume from). */
interface LoopState extends Omit<PausedState, 'calls' | 'approvalTools'> {
  run: AgentRun;
  profile: AgentProfile;
  role: Role;
  meta: CallMeta;
  /** Active time before this stretch of work (earlier stretches, before a pause). */
  activeMsBefore: number;
  startedAt: number;
  deadline: AbortController;
  /** The parent's remaining budget and deadline, for a sub-agent. */
  inherited?: { costUsd: number };
  /** The run's span (`invoke_agent`), and the current step's, which its model and tool calls join. */
  runSpan: SpanScope;
  stepSpan?: SpanScope | undefined;
}

interface SpanScope {
  span: Span;
  context: Context;
}

/** A span, child of `parent` (the active context when absent), with the context that activates it. */
function childSpan(
  deps: Deps,
  name: string,
  attributes: Record<string, string | number | boolean>,
  parent: Context = deps.telemetry.context.active(),
  kind = SpanKind.INTERNAL,
): SpanScope {
  const span = deps.telemetry.tracer.startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/**
 * The run's span, following the GenAI conventions for agents. The loop is a generator resumed by
 * whoever reads it (the handler, a parent run's delegate tool), so its work is put in the run's or
 * the step's context explicitly (`within`) rather than inherited.
 */
const runSpanOf = (deps: Deps, run: AgentRun, resumed: boolean): SpanScope =>
  childSpan(deps, `invoke_agent ${run.profile}`, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': run.profile,
    'gen_ai.agent.id': run.id,
    'gen_ai.request.model': run.model,
    'cairn.agent.depth': run.depth,
    ...(resumed ? { 'cairn.agent.resumed': true } : {}),
  });

/** Runs `work` in the current step's span (the run's between steps). */
const within = <T>(deps: Deps, state: LoopState, work: () => T): T =>
  deps.telemetry.context.with((state.stepSpan ?? state.runSpan).context, work);

function endStep(state: LoopState): void {
  state.stepSpan?.span.end();
  state.stepSpan = undefined;
}

/** Ends the run's span (at most once) with how the run stopped. */
function endRun(state: LoopState, stopReason: string | undefined, error?: unknown): void {
  endStep(state);
  const { span } = state.runSpan;
  if (!span.isRecording()) return;
  if (stopReason) span.setAttribute('cairn.stop_reason', stopReason);
  span.setAttributes({
    'cairn.agent.steps': state.steps.length,
    'cairn.agent.tool_calls': state.toolCalls,
    'cairn.cost_usd': state.usage.costUsd,
  });
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/** Ends the run's span if the run's reader stopped early or it threw. */
async function* spanned(
  state: LoopState,
  events: AsyncGenerator<AgentEvent, AgentRun>,
): AsyncGenerator<AgentEvent, AgentRun> {
  let error: unknown;
  try {
    return yield* events;
  } catch (thrown) {
    error = thrown;
    throw thrown;
  } finally {
    endRun(state, undefined, error);
  }
}

const emptyUsage = (): RunUsage => ({ modelCalls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 });
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function systemPrompt(profile: AgentProfile, depth: number): string {
  const parts = [profile.systemPrompt];
  if (depth > 0) parts.push('You are a sub-agent: answer the task you were given, briefly, then stop.');
  parts.push(
    'Tool results arrive in tool messages, as JSON inside a <tool_result> element. A result marked withheld was kept from you.',
    DATA_RULES,
  );
  return parts.join('\n\n');
}

const activeMs = (state: LoopState) => state.activeMsBefore + (performance.now() - state.startedAt);

function startDeadline(state: Pick<LoopState, 'run' | 'activeMsBefore'>): AbortController {
  const controller = new AbortController();
  const remaining = Math.max(0, state.run.limits.timeoutMs - state.activeMsBefore);
  const timer = setTimeout(() => controller.abort(), remaining);
  controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return controller;
}

/** The registered tools of an allowlist, less those the caller's role may not use. */
export function offeredTools(names: readonly string[], role: Role): AgentTool[] {
  return names.flatMap((name) => {
    const tool = findTool(name);
    return tool && (tool.role === 'user' || role === 'admin') ? [tool] : [];
  });
}

async function loadProfile(deps: Deps, name: string): Promise<AgentProfile> {
  const profile = await traced(deps, 'agents.profile.get', () => getProfile(deps, name));
  if (!profile) {
    throw validationFailed(
      `There is no agent named "${name}".`,
      [{ pointer: '/body/agent', detail: 'unknown agent' }],
      422,
    );
  }
  return profile;
}

/** Starts a run and drives it until it answers, pauses for approval or reaches a limit. */
export async function* startRun(deps: Deps, input: StartRunInput): AsyncGenerator<AgentEvent, AgentRun> {
  if (input.input.length > deps.config.AGENT_MAX_INPUT_CHARS) {
    throw validationFailed('The input is too long.', [
      { pointer: '/body/input', detail: `must be at most ${deps.config.AGENT_MAX_INPUT_CHARS} characters` },
    ]);
  }
  const asked = screenText(deps, { text: input.input, source: 'input', route: '/agent/runs' });
  if (asked?.withheld) throw injectionRefused(asked, '/body/input');
  const profile = await loadProfile(deps, input.agent);
  const profileLimits = lowerLimits(limitsFromConfig(deps.config), profile.limits);
  const above = limitsAboveCeiling(
    profileLimits,
    input.limits,
    '/body/limits',
    `the ${profile.name} agent's limit`,
  );
  if (above.length > 0) throw validationFailed("A limit is above the agent's own.", above, 422);
  const limits = lowerLimits(profileLimits, input.limits);
  const run = await traced(deps, 'agents.run.insert', () =>
    insertRun(deps, {
      id: crypto.randomUUID(),
      ownerId: input.ownerId,
      parentRunId: null,
      depth: 0,
      profile: profile.name,
      model: profile.model ?? deps.llm.chatModel,
      input: input.input,
      limits,
      tools: offeredTools(profile.tools, input.role).map((tool) => tool.name),
      at: deps.now(),
    }),
  );
  const state = freshState(deps, run, profile, input.role, input.meta);
  if (state.security && asked) state.security.push(asked);
  yield { type: 'run', run };
  return yield* spanned(state, drive(deps, state));
}

function freshState(deps: Deps, run: AgentRun, profile: AgentProfile, role: Role, meta: CallMeta): LoopState {
  const base = { run, activeMsBefore: 0 };
  return {
    ...base,
    runSpan: runSpanOf(deps, run, false),
    profile,
    role,
    meta,
    messages: [
      { role: 'system', content: systemPrompt(profile, run.depth) },
      { role: 'user', content: run.input },
    ],
    step: 0,
    seq: 0,
    argRetries: 0,
    steps: [],
    usage: emptyUsage(),
    citations: [],
    failures: [],
    facts: [],
    toolCalls: 0,
    ...(screening(deps.config) ? { security: [] } : {}),
    startedAt: performance.now(),
    deadline: startDeadline(base),
  };
}

/** Continues a paused run with its owner's decision on the calls it stopped for. */
export async function* resumeRun(deps: Deps, input: ResumeRunInput): AsyncGenerator<AgentEvent, AgentRun> {
  const claimed = await traced(deps, 'agents.run.claim_paused', () =>
    claimPausedRun(deps, { runId: input.runId, ownerId: input.ownerId, at: deps.now() }),
  );
  if (!claimed) {
    const run = await traced(deps, 'agents.run.get', () =>
      getRun(deps, { runId: input.runId, ownerId: input.ownerId }),
    );
    if (!run) throw notFound('There is no such run.');
    throw conflict(`The run is ${run.status}, not awaiting approval.`);
  }
  const { run, state: paused } = claimed;
  // The run keeps the approval rules it started with, even if its profile changed or went away.
  const stored = await traced(deps, 'agents.profile.get', () => getProfile(deps, run.profile));
  const profile: AgentProfile = {
    ...(stored ?? builtInAssistant),
    name: run.profile,
    approvalTools: paused.approvalTools,
  };
  const base = { run, activeMsBefore: run.activeMs };
  const state: LoopState = {
    ...paused,
    ...base,
    runSpan: runSpanOf(deps, run, true),
    profile,
    role: input.role,
    meta: input.meta,
    startedAt: performance.now(),
    deadline: startDeadline(base),
  };
  yield { type: 'run', run };
  return yield* spanned(state, settleApproval(deps, state, input.decision, paused.calls));
}

/** Runs (or rejects) the calls a paused run stopped for, then drives the run on. */
async function* settleApproval(
  deps: Deps,
  state: LoopState,
  decision: ResumeRunInput['decision'],
  pending: PausedState['calls'],
): AsyncGenerator<AgentEvent, AgentRun> {
  const policy = callPolicy(state);
  const outcomes: CallOutcome[] = [];
  for (const call of pending) {
    if (call.settled !== undefined) continue;
    if (decision === 'reject') {
      outcomes.push(
        blockedOutcome(
          call,
          'rejected',
          { code: 'rejected', message: 'The run owner rejected this call.' },
          'blocked',
        ),
      );
      continue;
    }
    const checked = checkCall(call, policy);
    const outcome = checked.ok
      ? await execute(deps, state, call, checked.tool, checked.input)
      : checked.outcome;
    outcomes.push(outcome);
  }
  yield* settleCalls(deps, state, outcomes);
  const byId = new Map(outcomes.map((o) => [o.id, o.message]));
  state.messages.push(
    ...pending.map(
      (call): ChatMessage => ({
        role: 'tool',
        toolCallId: call.id,
        content: call.settled ?? byId.get(call.id) ?? '',
      }),
    ),
  );
  const summary = state.steps.at(-1);
  if (summary) summary.toolCalls.push(...outcomes.map(callSummary));
  if (decision === 'reject') {
    const rejected = outcomes.map((o) => o.tool).join(', ');
    return yield* finish(deps, state, 'rejected', `The run was stopped: its owner rejected ${rejected}.`);
  }
  return yield* drive(deps, state);
}

function callPolicy(state: LoopState): CallPolicy {
  return { allowed: new Set(state.run.tools), role: state.role, findTool };
}

const callSummary = (o: CallOutcome): StepSummary['toolCalls'][number] => ({
  id: o.id,
  tool: o.tool,
  decision: o.decision,
  status: o.status,
  latencyMs: Math.round(o.latencyMs),
});

function nextTrace(
  state: LoopState,
  kind: TraceEntry['kind'],
  detail: Record<string, unknown>,
  at: Date,
): TraceEntry {
  state.seq += 1;
  return { runId: state.run.id, seq: state.seq, step: state.step, kind, detail, createdAt: at };
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Writes a step's tool outcomes (trace and audit in one transaction) and reports them. */
async function* settleCalls(
  deps: Deps,
  state: LoopState,
  outcomes: CallOutcome[],
  /** Entries written ahead of the outcomes in the same statement (the step's model call). */
  lead: TraceEntry[] = [],
): AsyncGenerator<AgentEvent, void> {
  const at = deps.now();
  const trace = outcomes.map((o) =>
    nextTrace(
      state,
      'tool',
      {
        id: o.id,
        tool: o.tool,
        arguments: o.arguments,
        decision: o.decision,
        status: o.status,
        latency_ms: Math.round(o.latencyMs),
        result_bytes: o.resultBytes,
        ...(o.failure ? { error: o.failure } : { result: truncate(JSON.stringify(o.result ?? null), 4000) }),
        ...(o.injection
          ? {
              injection: {
                signals: o.injection.signals,
                score: o.injection.score,
                withheld: o.injection.withheld,
              },
            }
          : {}),
        ...(o.redactedSecrets ? { redacted_secrets: o.redactedSecrets } : {}),
      },
      at,
    ),
  );
  const audit = outcomes.map((o) =>
    auditRecordOf(o, { at, runId: state.run.id, step: state.step, userId: state.run.ownerId }),
  );
  await within(deps, state, () =>
    traced(deps, 'agents.run.record_step', () => recordStep(deps, [...lead, ...trace], audit)),
  );
  for (const o of outcomes) {
    countToolCall(deps, o);
    if (o.decision === 'executed' || o.decision === 'rejected') state.toolCalls += 1;
    if (o.decision === 'blocked_validation') state.argRetries += 1;
    if (o.injection) state.security?.push(o.injection);
    if (o.status === 'ok') {
      const fact = factOf(o.tool, o.result);
      if (fact) state.facts.push(fact);
      state.citations.push(...citationsOf(o.tool, o.result));
    } else if (o.status !== 'pending') {
      state.failures.push(
        `step ${state.step}: ${o.tool} ${o.decision === 'executed' ? 'failed' : o.decision.replace('_', ' by ')} (${o.failure?.code ?? o.status})`,
      );
    }
    yield {
      type: 'tool_result',
      runId: state.run.id,
      step: state.step,
      id: o.id,
      tool: o.tool,
      status: o.status,
      result: o.failure ? { error: o.failure } : o.result,
      latencyMs: Math.round(o.latencyMs),
    };
  }
}

/** The citations a tool's result carries: the hits of `search_documents`, none for other tools. */
export function citationsOf(tool: string, result: unknown): RunCitation[] {
  if (tool !== 'search_documents') return [];
  const results = (result as { results?: unknown[] } | undefined)?.results ?? [];
  return results.flatMap((r) => {
    const hit = r as {
      chunk_id: number;
      document_id: string;
      title: string;
      heading_path: string[];
      score: number;
    };
    return [
      {
        chunkId: hit.chunk_id,
        documentId: hit.document_id,
        documentTitle: hit.title,
        headingPath: hit.heading_path,
        score: hit.score,
      },
    ];
  });
}

/** Runs one checked call with the right time cap, delegation wired for `delegate`. */
function execute(deps: Deps, state: LoopState, call: ToolCall, tool: AgentTool, input: unknown) {
  const remaining = Math.max(0, state.run.limits.timeoutMs - activeMs(state));
  return runToolCall(deps, call, tool, input, {
    context: {
      deps,
      userId: state.run.ownerId,
      role: state.role,
      meta: state.meta,
      delegate: (task, tools) => delegate(deps, state, task, tools),
    },
    signal: state.deadline.signal,
    timeoutMs: callTimeoutMs(tool, state.run.limits.toolTimeoutMs, remaining),
    parent: (state.stepSpan ?? state.runSpan).context,
    logFields: { run_id: state.run.id },
    route: '/agent/runs',
  });
}

/**
 * A sub-agent: the parent's profile, deadline and remaining budget, a subset of its tools (never
 * tools that need approval: a sub-agent cannot pause). Past the depth limit the sub-run is
 * recorded and ends at once with `max_depth`.
 */
async function delegate(
  deps: Deps,
  parent: LoopState,
  task: string,
  requested: string[] | undefined,
): Promise<{ runId: string; answer: string; stopReason: string }> {
  const approval = new Set(parent.profile.approvalTools);
  const tools = parent.run.tools.filter((t) => !approval.has(t) && (!requested || requested.includes(t)));
  const elapsed = activeMs(parent);
  const limits: AgentLimits = {
    ...parent.run.limits,
    timeoutMs: Math.max(1, Math.floor(parent.run.limits.timeoutMs - elapsed)),
    maxCostUsd: Math.max(0, parent.run.limits.maxCostUsd - parent.usage.costUsd),
  };
  const run = await traced(deps, 'agents.run.insert', () =>
    insertRun(deps, {
      id: crypto.randomUUID(),
      ownerId: parent.run.ownerId,
      parentRunId: parent.run.id,
      depth: parent.run.depth + 1,
      profile: parent.profile.name,
      model: parent.run.model,
      input: task,
      limits,
      tools,
      at: deps.now(),
    }),
  );
  const child = freshState(deps, run, parent.profile, parent.role, parent.meta);
  const events = spanned(
    child,
    run.depth > limits.maxDepth
      ? finish(deps, child, 'max_depth', 'The delegation depth limit was reached; this sub-task was not run.')
      : parent.usage.costUsd > 0 && limits.maxCostUsd <= 0
        ? finish(deps, child, 'budget')
        : drive(deps, child),
  );
  let next = await events.next();
  while (!next.done) next = await events.next();
  const finished = next.value;
  parent.usage.modelCalls += finished.usage.modelCalls;
  parent.usage.tokensIn += finished.usage.tokensIn;
  parent.usage.tokensOut += finished.usage.tokensOut;
  parent.usage.costUsd += finished.usage.costUsd;
  return {
    runId: finished.id,
    answer: finished.answer ?? '',
    stopReason: finished.stopReason ?? 'completed',
  };
}

/** The loop: one model call per step, then the calls it asked for, until an answer or a limit. */
async function* drive(deps: Deps, state: LoopState): AsyncGenerator<AgentEvent, AgentRun> {
  const { limits } = state.run;
  const policy = callPolicy(state);
  const offered = state.run.tools.flatMap((name) => {
    const tool = findTool(name);
    return tool ? [toolDefinition(tool)] : [];
  });
  try {
    while (true) {
      // The clock as well as the signal: a tool's own timer can fire just before the deadline's.
      if (state.deadline.signal.aborted || activeMs(state) >= limits.timeoutMs) {
        return yield* finish(deps, state, 'timeout');
      }
      if (state.steps.length >= limits.maxSteps) return yield* finish(deps, state, 'max_steps');
      if (state.usage.costUsd > 0 && state.usage.costUsd >= limits.maxCostUsd) {
        return yield* finish(deps, state, 'budget');
      }
      state.step += 1;
      endStep(state);
      state.stepSpan = childSpan(
        deps,
        'agent.step',
        { 'cairn.agent.run_id': state.run.id, 'cairn.agent.step': state.step },
        state.runSpan.context,
      );
      const started = performance.now();
      let reply: Awaited<ReturnType<Deps['llm']['chat']>>;
      try {
        reply = await within(deps, state, () =>
          deps.llm.chat({
            model: state.run.model,
            messages: state.messages,
            tools: offered,
            // Once validation retries are spent the model must answer with what it has.
            toolChoice: state.argRetries > limits.maxArgRetries || offered.length === 0 ? 'none' : 'auto',
            signal: state.deadline.signal,
            meta: state.meta,
          }),
        );
      } catch (error) {
        if (state.deadline.signal.aborted) return yield* finish(deps, state, 'timeout');
        deps.logger.warn('agent model call failed', { err: error, run_id: state.run.id, step: state.step });
        state.failures.push(`step ${state.step}: the model call failed`);
        return yield* finish(deps, state, 'error');
      }
      const latencyMs = performance.now() - started;
      const cost = reply.accounting;
      state.usage.modelCalls += 1;
      state.usage.tokensIn += cost.usage.inputTokens;
      state.usage.tokensOut += cost.usage.outputTokens;
      state.usage.costUsd += cost.costUsd;
      const calls = reply.toolCalls;
      state.stepSpan.span.setAttribute('cairn.agent.tool_calls_requested', calls.length);
      const summary: StepSummary = {
        step: state.step,
        decision: calls.length > 0 ? 'tool_calls' : 'answer',
        toolCalls: [],
        tokensIn: cost.usage.inputTokens,
        tokensOut: cost.usage.outputTokens,
        costUsd: round6(cost.costUsd),
        latencyMs: Math.round(latencyMs),
      };
      state.steps.push(summary);
      const modelEntry = nextTrace(
        state,
        'model',
        {
          model: cost.model,
          tokens_in: cost.usage.inputTokens,
          tokens_out: cost.usage.outputTokens,
          cost_usd: cost.costUsd,
          latency_ms: Math.round(latencyMs),
          decision: summary.decision,
          tool_calls: calls.map((c) => ({
            id: c.id,
            tool: c.name,
            arguments: redactArguments(parseArguments(truncate(c.arguments, 4000))),
          })),
          ...(reply.content ? { content: truncate(redactSecrets(reply.content).text, 4000) } : {}),
        },
        deps.now(),
      );
      yield {
        type: 'model_decision',
        runId: state.run.id,
        step: state.step,
        content: reply.content === null ? null : redactSecrets(reply.content).text,
        toolCalls: calls.map((c) => ({ id: c.id, tool: c.name, arguments: c.arguments })),
        usage: {
          tokensIn: cost.usage.inputTokens,
          tokensOut: cost.usage.outputTokens,
          costUsd: cost.costUsd,
        },
        latencyMs: Math.round(latencyMs),
      };
      if (calls.length === 0) {
        return yield* finish(deps, state, 'completed', reply.content ?? '', [modelEntry]);
      }
      // Tool call ids come from the model: make them unique within the step so messages pair up.
      const seen = new Set<string>();
      const stepCalls = calls.map((call, index) => {
        const id = call.id && !seen.has(call.id) ? call.id : `call_${state.step}_${index}`;
        seen.add(id);
        return { ...call, id };
      });
      state.messages.push({ role: 'assistant', content: reply.content, toolCalls: stepCalls });

      const outcomes: CallOutcome[] = [];
      const runnable: { call: ToolCall; tool: AgentTool; input: unknown }[] = [];
      const awaiting: ToolCall[] = [];
      const approval = new Set(state.profile.approvalTools);
      for (const [index, call] of stepCalls.entries()) {
        if (index >= limits.maxToolCallsPerStep) {
          outcomes.push(
            blockedOutcome(call, 'blocked_limit', {
              code: 'not_allowed',
              message: `At most ${limits.maxToolCallsPerStep} tool calls are allowed per step.`,
            }),
          );
          continue;
        }
        const checked = checkCall(call, policy);
        if (!checked.ok) outcomes.push(checked.outcome);
        else if (approval.has(call.name) && state.run.depth === 0) awaiting.push(call);
        else runnable.push({ call, tool: checked.tool, input: checked.input });
      }
      const decisions = new Map<string, string>([
        ...outcomes.map((o): [string, string] => [o.id, o.decision]),
        ...awaiting.map((c): [string, string] => [c.id, 'awaiting_approval']),
        ...runnable.map((r): [string, string] => [r.call.id, 'executed']),
      ]);
      for (const call of stepCalls) {
        yield {
          type: 'tool_call',
          runId: state.run.id,
          step: state.step,
          id: call.id,
          tool: call.name,
          arguments: parseArguments(call.arguments),
          decision: decisions.get(call.id) ?? 'executed',
        };
      }

      if (awaiting.length > 0) {
        // Pause before running anything of this step: the owner decides on the step as a whole.
        const pending = awaiting.map((call) =>
          blockedOutcome(
            call,
            'awaiting_approval',
            { code: 'awaiting_approval', message: 'Waiting for the run owner.' },
            'pending',
          ),
        );
        yield* settleCalls(deps, state, [...outcomes, ...pending], [modelEntry]);
        summary.toolCalls.push(...outcomes.map(callSummary));
        const settled = new Map(outcomes.map((o) => [o.id, o.message]));
        return yield* pause(
          deps,
          state,
          stepCalls.map((call) => {
            const message = settled.get(call.id);
            return {
              id: call.id,
              name: call.name,
              arguments: call.arguments,
              ...(message ? { settled: message } : {}),
            };
          }),
        );
      }

      outcomes.push(
        ...(await Promise.all(runnable.map((r) => execute(deps, state, r.call, r.tool, r.input)))),
      );
      const order = new Map(stepCalls.map((c, i) => [c.id, i]));
      outcomes.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      yield* settleCalls(deps, state, outcomes, [modelEntry]);
      summary.toolCalls.push(...outcomes.map(callSummary));
      state.messages.push(
        ...outcomes.map((o): ChatMessage => ({ role: 'tool', toolCallId: o.id, content: o.message })),
      );
    }
  } catch (error) {
    // A defect must not leave the run `running` forever: it ends, with what is known, as `error`.
    // An AppError (the database unavailable, say) is the request's to report.
    if (error instanceof AppError) throw error;
    deps.logger.error('agent run failed', { err: error, run_id: state.run.id, step: state.step });
    state.failures.push(`step ${state.step}: the run failed unexpectedly`);
    return yield* finish(deps, state, 'error');
  } finally {
    state.deadline.abort();
  }
}

async function* pause(
  deps: Deps,
  state: LoopState,
  calls: PausedState['calls'],
): AsyncGenerator<AgentEvent, AgentRun> {
  endStep(state);
  const run = await within(deps, state, () =>
    traced(deps, 'agents.run.pause', () =>
      pauseRun(deps, state.run.id, {
        steps: state.steps,
        usage: state.usage,
        toolCalls: state.toolCalls,
        activeMs: activeMs(state),
        at: deps.now(),
        state: {
          messages: state.messages,
          step: state.step,
          seq: state.seq,
          argRetries: state.argRetries,
          calls,
          steps: state.steps,
          usage: state.usage,
          citations: state.citations,
          failures: state.failures,
          facts: state.facts,
          toolCalls: state.toolCalls,
          approvalTools: state.profile.approvalTools,
          ...(state.security ? { security: state.security } : {}),
        },
      }),
    ),
  );
  endRun(state, 'awaiting_approval');
  const reported = withSecurity(run, state);
  yield { type: 'final', run: reported };
  return reported;
}

async function* finish(
  deps: Deps,
  state: LoopState,
  stopReason: AgentStopReason,
  answer?: string,
  /** The last step's trace entries, written with the run's outcome. */
  trace: TraceEntry[] = [],
): AsyncGenerator<AgentEvent, AgentRun> {
  // A model that ends with empty content still gets an answer: what the tools found. A secret the
  // model copied from a tool result (or made up) is redacted from it.
  const text = redactSecrets(
    answer?.trim() ? answer : fallbackAnswer(stopReason, state.facts, state.failures),
  ).text;
  const run = await within(deps, state, () =>
    traced(deps, 'agents.run.finish', () =>
      finishRun(deps, state.run.id, {
        trace,
        steps: state.steps,
        usage: state.usage,
        toolCalls: state.toolCalls,
        activeMs: activeMs(state),
        at: deps.now(),
        stopReason,
        answer: text,
        citations: usedCitations(text, state.citations),
      }),
    ),
  );
  deps.telemetry.instruments.agentRuns.add(1, { 'cairn.stop_reason': stopReason });
  endRun(state, stopReason);
  const reported = withSecurity(run, state);
  yield { type: 'final', run: reported };
  return reported;
}

/** The run as its request reports it: with what the injection detector flagged so far. */
const withSecurity = (run: AgentRun, state: LoopState): AgentRun =>
  state.security ? { ...run, security: [...state.security] } : run;

/** The search results an answer cites: those it marks as `[chunk N]`, else every one it was given. */
function usedCitations(answer: string, citations: RunCitation[]): RunCitation[] {
  const unique = [...new Map(citations.map((c) => [c.chunkId, c])).values()];
  const marked = new Set([...answer.matchAll(/\[chunk (\d+)\]/g)].map((m) => Number(m[1])));
  const cited = unique.filter((c) => marked.has(c.chunkId));
  return (cited.length > 0 ? cited : unique).slice(0, 20);
}
