import { type Context, SpanKind, trace } from '@opentelemetry/api';
import type { z } from 'zod';
import type { Role } from '../../auth/principal.ts';
import type { ToolCallDecision, ToolCallStatus } from '../../db/tables/agents.ts';
import type { Deps } from '../../deps.ts';
import type { ToolCall } from '../../llm/llm-client.ts';
import { screenText, WITHHELD_RESULT_NOTICE } from '../../security/injection-screen.ts';
import { redactSecrets, redactSecretsIn } from '../../security/secret-scan.ts';
import type { InjectionFinding } from '../../security/security.schemas.ts';
import { dataBlock } from '../../security/spotlight.ts';
import { findTool } from '../tools/registry.ts';
import { type AgentTool, strictInput, type ToolContext } from '../tools/tool.ts';
import { ToolError } from '../tools/tool-error.ts';
import { redactArguments } from './redact.ts';
import type { AuditRecord } from './run-store.ts';

/** What the model is told about a failed or blocked call. */
export interface ToolFailure {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
}

/** One attempted tool call, whatever became of it: what the audit row, the trace and the model get. */
export interface CallOutcome {
  id: string;
  tool: string;
  /** The arguments as the model wrote them, parsed and redacted. */
  arguments: unknown;
  decision: ToolCallDecision;
  status: ToolCallStatus;
  latencyMs: number;
  resultBytes: number;
  result?: unknown;
  failure?: ToolFailure;
  /**
   * The tool message content the model reads next: a <tool_result> element around
   * `{"ok":true,"result":…}` or `{"ok":false,"error":…}`.
   */
  message: string;
  /** The kinds of secret-like strings redacted from the result. */
  redactedSecrets?: string[];
  /** The injection detector's flag on the result; a withheld result is a `withheld` failure. */
  injection?: InjectionFinding;
}

type Envelope = { ok: true; result: unknown } | { ok: false; error: ToolFailure };

/** A tool message: the envelope as JSON, in one escaped <tool_result> element naming the call. */
const toolMessage = (id: string, tool: string, envelope: Envelope) =>
  dataBlock('tool_result', { name: tool.slice(0, 100), id: id.slice(0, 100) }, JSON.stringify(envelope));

/** Who may call what in this run. */
export interface CallPolicy {
  allowed: ReadonlySet<string>;
  role: Role;
  findTool: (name: string) => AgentTool | undefined;
}

function parsedArguments(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const issuesOf = (error: z.ZodError) =>
  error.issues.slice(0, 20).map((issue) => ({
    path: `/${issue.path.map(String).join('/')}`,
    message: issue.message,
  }));

/** A call that never ran, with the reason the model reads. */
export function blockedOutcome(
  call: ToolCall,
  decision: ToolCallDecision,
  failure: ToolFailure,
  status: ToolCallStatus = 'blocked',
): CallOutcome {
  const parsed = parsedArguments(call.arguments);
  return {
    id: call.id,
    tool: call.name,
    arguments: redactArguments(parsed.ok ? parsed.value : call.arguments.slice(0, 2000)),
    decision,
    status,
    latencyMs: 0,
    resultBytes: 0,
    failure,
    message: toolMessage(call.id, call.name, { ok: false, error: failure }),
  };
}

/**
 * The checks made before anything runs: the tool exists and is on the run's allowlist, the caller
 * has its role, and the arguments parse and satisfy its input schema (extra properties refused).
 */
export function checkCall(
  call: ToolCall,
  policy: CallPolicy,
): { ok: true; tool: AgentTool; input: unknown } | { ok: false; outcome: CallOutcome } {
  const tool = policy.allowed.has(call.name) ? policy.findTool(call.name) : undefined;
  if (!tool) {
    return {
      ok: false,
      outcome: blockedOutcome(call, 'blocked_allowlist', {
        code: 'not_allowed',
        message: `The tool "${call.name.slice(0, 100)}" is not available to this agent.`,
      }),
    };
  }
  if (tool.role === 'admin' && policy.role !== 'admin') {
    return {
      ok: false,
      outcome: blockedOutcome(call, 'blocked_role', {
        code: 'not_allowed',
        message: `The tool "${tool.name}" needs the admin role.`,
      }),
    };
  }
  const parsed = parsedArguments(call.arguments || '{}');
  if (!parsed.ok) {
    return {
      ok: false,
      outcome: blockedOutcome(call, 'blocked_validation', {
        code: 'invalid_arguments',
        message: 'The arguments are not valid JSON.',
      }),
    };
  }
  const checked = strictInput(tool).safeParse(parsed.value);
  if (!checked.success) {
    return {
      ok: false,
      outcome: blockedOutcome(call, 'blocked_validation', {
        code: 'invalid_arguments',
        message: `The arguments do not match the ${tool.name} schema.`,
        issues: issuesOf(checked.error),
      }),
    };
  }
  return { ok: true, tool, input: checked.data };
}

class ToolTimeout extends Error {}

/**
 * Runs a checked call under its time cap. Whatever happens (a throw, a timeout, a result too large
 * or off its declared schema) becomes a structured outcome: a tool never ends the run.
 */
async function executeCall(
  call: ToolCall,
  tool: AgentTool,
  input: unknown,
  options: {
    context: Omit<ToolContext, 'signal'>;
    /** The run's own deadline: aborting it stops the tool too. */
    runSignal: AbortSignal;
    timeoutMs: number;
    maxResultBytes: number;
    onError: (error: unknown) => void;
  },
): Promise<CallOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  const abort = () => controller.abort(new ToolTimeout());
  const timer = setTimeout(abort, options.timeoutMs);
  options.runSignal.addEventListener('abort', abort, { once: true });
  const base = {
    id: call.id,
    tool: tool.name,
    arguments: redactArguments(input),
    decision: 'executed' as const,
  };
  const failed = (status: ToolCallStatus, failure: ToolFailure): CallOutcome => {
    // A tool's own error message can quote what it was sent or given.
    const safe = { ...failure, message: redactSecrets(failure.message).text };
    return {
      ...base,
      status,
      latencyMs: performance.now() - started,
      resultBytes: 0,
      failure: safe,
      message: toolMessage(call.id, tool.name, { ok: false, error: safe }),
    };
  };
  try {
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(new ToolTimeout()), { once: true });
    });
    const raw = await Promise.race([
      tool.execute(input as never, { ...options.context, signal: controller.signal }),
      aborted,
    ]);
    const output = tool.output.safeParse(raw);
    if (!output.success) {
      options.onError(new Error(`${tool.name} returned output off its schema: ${output.error.message}`));
      return failed('error', { code: 'failed', message: `${tool.name} returned an invalid result.` });
    }
    // Secret-like strings never reach the model, the trace, the audit or an MCP client.
    const redacted = redactSecretsIn(output.data);
    const envelope = JSON.stringify({ ok: true, result: redacted.value });
    const resultBytes = new TextEncoder().encode(envelope).length;
    if (resultBytes > options.maxResultBytes) {
      return failed('error', {
        code: 'too_large',
        message: `${tool.name} returned ${resultBytes} bytes, more than the ${options.maxResultBytes} allowed.`,
      });
    }
    return {
      ...base,
      status: 'ok',
      latencyMs: performance.now() - started,
      resultBytes,
      result: redacted.value,
      message: toolMessage(call.id, tool.name, { ok: true, result: redacted.value }),
      ...(redacted.kinds.length > 0 ? { redactedSecrets: redacted.kinds } : {}),
    };
  } catch (error) {
    if (error instanceof ToolTimeout || (error instanceof ToolError && error.code === 'timeout')) {
      return failed('timeout', { code: 'timeout', message: `${tool.name} did not finish in time.` });
    }
    if (error instanceof ToolError) return failed('error', { code: error.code, message: error.message });
    options.onError(error);
    return failed('error', { code: 'failed', message: `${tool.name} failed.` });
  } finally {
    clearTimeout(timer);
    options.runSignal.removeEventListener('abort', abort);
  }
}

/**
 * The time cap of one call: the tool's own, the caller's `tool_timeout_ms` and the time left,
 * whichever is lowest; a tool that runs to the deadline (`delegate`) gets all the time left.
 */
export const callTimeoutMs = (tool: AgentTool, toolTimeoutMs: number, remainingMs: number): number =>
  tool.runsToDeadline ? remainingMs : Math.min(tool.timeoutMs, toolTimeoutMs, remainingMs);

/**
 * Runs one checked call in its own `execute_tool` span (child of `parent`), failures logged with
 * `logFields`: the single-call step agent runs and the MCP endpoint (src/mcp) share.
 */
export async function runToolCall(
  deps: Deps,
  call: ToolCall,
  tool: AgentTool,
  input: unknown,
  options: {
    context: Omit<ToolContext, 'signal'>;
    /** Aborting it (the run's deadline, the request going away) stops the tool too. */
    signal: AbortSignal;
    timeoutMs: number;
    parent: Context;
    logFields: Record<string, unknown>;
    /** The API route the call serves, for the injection flag's metric. */
    route: string;
  },
): Promise<CallOutcome> {
  const span = deps.telemetry.tracer.startSpan(
    `execute_tool ${tool.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool.name,
        'gen_ai.tool.call.id': call.id,
      },
    },
    options.parent,
  );
  try {
    const outcome = await deps.telemetry.context.with(trace.setSpan(options.parent, span), async () =>
      screenResult(
        deps,
        await executeCall(call, tool, input, {
          context: options.context,
          runSignal: options.signal,
          timeoutMs: options.timeoutMs,
          maxResultBytes: deps.config.AGENT_MAX_RESULT_BYTES,
          onError: (error) =>
            deps.logger.error('agent tool failed', { err: error, tool: tool.name, ...options.logFields }),
        }),
        options.route,
      ),
    );
    if (outcome.redactedSecrets) {
      deps.logger.warn('secrets redacted from a tool result', {
        tool: tool.name,
        kinds: outcome.redactedSecrets,
        ...options.logFields,
      });
      span.setAttribute('cairn.tool.redacted_secrets', outcome.redactedSecrets);
    }
    span.setAttributes({ 'cairn.tool.status': outcome.status, 'cairn.tool.decision': outcome.decision });
    if (outcome.failure) span.setAttribute('error.type', outcome.failure.code);
    return outcome;
  } finally {
    span.end();
  }
}

const MAX_SCREENED_STRINGS = 10_000;

/** The string values of a result, one per line: the text the detector reads (JSON escapes would hide words). */
function stringsOf(value: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0 && out.length < MAX_SCREENED_STRINGS) {
    const node = stack.pop();
    if (typeof node === 'string') out.push(node);
    else if (node && typeof node === 'object') {
      const values = Object.values(node);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
  return out.join('\n');
}

/**
 * A successful result screened for prompt injection: flagged, it carries the finding; withheld
 * (block mode), it becomes a `withheld` failure, so neither the model, the trace nor a fact of the
 * fallback answer holds it.
 */
function screenResult(deps: Deps, outcome: CallOutcome, route: string): CallOutcome {
  if (outcome.status !== 'ok') return outcome;
  const finding = screenText(deps, {
    text: stringsOf(outcome.result),
    source: 'tool_result',
    route,
    ref: `${outcome.tool}:${outcome.id}`,
  });
  if (!finding) return outcome;
  if (!finding.withheld) return { ...outcome, injection: finding };
  const failure = { code: 'withheld', message: WITHHELD_RESULT_NOTICE };
  const { result: _withheld, ...rest } = outcome;
  return {
    ...rest,
    status: 'error',
    failure,
    injection: finding,
    message: toolMessage(outcome.id, outcome.tool, { ok: false, error: failure }),
  };
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The audit row of one attempted call (arguments already redacted in the outcome). */
export const auditRecordOf = (
  outcome: CallOutcome,
  where: Pick<AuditRecord, 'at' | 'runId' | 'step' | 'userId'>,
): AuditRecord => ({
  ...where,
  tool: outcome.tool,
  arguments: outcome.arguments,
  decision: outcome.decision,
  status: outcome.status,
  latencyMs: outcome.latencyMs,
  resultBytes: outcome.resultBytes,
  error: outcome.failure ? truncate(`${outcome.failure.code}: ${outcome.failure.message}`, 1000) : null,
});

/** Counts a settled call in the tool-call metric (calls still pending approval are not settled). */
export function countToolCall(deps: Deps, outcome: CallOutcome): void {
  if (outcome.status === 'pending') return;
  deps.telemetry.instruments.agentToolCalls.add(1, {
    // Tool names come from the caller: unknown ones share one label.
    'cairn.tool': findTool(outcome.tool) ? outcome.tool : 'unknown',
    'cairn.tool.status': outcome.status,
  });
}
