import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { type AgentLimits, limitsFromConfig, lowerLimits } from '../agents/agent-limits.ts';
import { getProfile } from '../agents/profiles/profile-store.ts';
import { citationsOf, offeredTools } from '../agents/runs/run-loop.ts';
import { recordStep } from '../agents/runs/run-store.ts';
import {
  auditRecordOf,
  type CallOutcome,
  callTimeoutMs,
  checkCall,
  countToolCall,
  runToolCall,
} from '../agents/runs/tool-execution.ts';
import { findTool } from '../agents/tools/registry.ts';
import { type AgentTool, toolDefinition, toolOutputSchema } from '../agents/tools/tool.ts';
import type { Role } from '../auth/principal.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import type { CallMeta } from '../llm/llm-client.ts';
import { traced } from '../observability/tracing.ts';

/**
 * The run id of audit rows written for MCP calls, which belong to no run (the nil UUID): the audit
 * log tells them apart by it (`GET /admin/audit?run_id=00000000-0000-0000-0000-000000000000`), and
 * by step 0, which no run step has.
 */
export const MCP_AUDIT_RUN_ID = '00000000-0000-0000-0000-000000000000';

// `delegate` starts a sub-agent of a run, with the run's deadline and budget: over MCP there is
// no run, and the client is itself the agent.
const NOT_OVER_MCP = new Set(['delegate']);

/** The profile an MCP caller acts under, narrowed to what may run over MCP for its role. */
export interface McpAgent {
  name: string;
  tools: AgentTool[];
  limits: AgentLimits;
}

/**
 * The caller's tools: the profile's allowlist less the tools its role may not use (as in agent
 * runs and `GET /agent/tools`), less `delegate` and the tools the profile puts under approval
 * (there is no run to pause over MCP, as for a sub-agent). 404 for an unknown profile.
 */
export async function resolveMcpAgent(
  deps: Pick<Deps, 'db' | 'config' | 'telemetry'>,
  input: { name: string; role: Role },
): Promise<McpAgent> {
  const profile = await traced(deps, 'agents.profile.get', () => getProfile(deps, input.name));
  if (!profile) throw notFound(`There is no agent named "${input.name}".`);
  const approval = new Set(profile.approvalTools);
  return {
    name: profile.name,
    tools: offeredTools(profile.tools, input.role).filter(
      (tool) => !NOT_OVER_MCP.has(tool.name) && !approval.has(tool.name),
    ),
    limits: lowerLimits(limitsFromConfig(deps.config), profile.limits),
  };
}

/** The MCP descriptor of a tool: its strict input schema, its output schema, no side effects as read-only. */
export const toMcpTool = (tool: AgentTool): Tool => ({
  name: tool.name,
  description: tool.description,
  inputSchema: toolDefinition(tool).parameters as Tool['inputSchema'],
  outputSchema: toolOutputSchema(tool) as Tool['outputSchema'],
  annotations: { readOnlyHint: !tool.sideEffects },
});

/** Who calls, for their data scope, the tools' role checks and the accounting of model calls tools make. */
export interface McpCaller {
  userId: string;
  role: Role;
  meta: CallMeta;
}

const failureText = (outcome: CallOutcome) => {
  const failure = outcome.failure ?? { code: outcome.status, message: `${outcome.tool} failed.` };
  const issues = (failure.issues ?? []).map((issue) => `\n${issue.path}: ${issue.message}`).join('');
  return `${failure.code}: ${failure.message}${issues}`;
};

/**
 * The result an MCP client reads: the tool's result as JSON text and as `structuredContent`
 * (it matches the tool's `outputSchema`), `search_documents`' citations under `_meta`, and a
 * failure or refusal as an `isError` result whose text starts with its code.
 */
function toCallToolResult(outcome: CallOutcome): CallToolResult {
  if (outcome.status !== 'ok') {
    return { content: [{ type: 'text', text: failureText(outcome) }], isError: true };
  }
  const citations = citationsOf(outcome.tool, outcome.result).map((c) => ({
    chunk_id: c.chunkId,
    document_id: c.documentId,
    document_title: c.documentTitle,
    heading_path: c.headingPath,
    score: c.score,
  }));
  return {
    content: [{ type: 'text', text: JSON.stringify(outcome.result) }],
    structuredContent: outcome.result as Record<string, unknown>,
    ...(citations.length > 0 ? { _meta: { citations } } : {}),
  };
}

/**
 * One `tools/call`: the same checks (allowlist, role, strict arguments), time cap, result checks
 * and audit row as a call in an agent run, through the same functions.
 */
export async function callMcpTool(
  deps: Deps,
  agent: McpAgent,
  caller: McpCaller,
  request: { name: string; arguments?: Record<string, unknown> | undefined },
  signal: AbortSignal,
): Promise<CallToolResult> {
  const call = {
    id: `mcp_${crypto.randomUUID()}`,
    name: request.name,
    arguments: JSON.stringify(request.arguments ?? {}),
  };
  const allowed = new Set(agent.tools.map((tool) => tool.name));
  const checked = checkCall(call, { allowed, role: caller.role, findTool });
  const outcome = checked.ok
    ? await runToolCall(deps, call, checked.tool, checked.input, {
        context: { deps, userId: caller.userId, role: caller.role, meta: caller.meta },
        signal,
        timeoutMs: callTimeoutMs(checked.tool, agent.limits.toolTimeoutMs, agent.limits.timeoutMs),
        parent: deps.telemetry.context.active(),
        logFields: { agent: agent.name, source: 'mcp' },
        route: '/mcp',
      })
    : checked.outcome;
  const audit = auditRecordOf(outcome, {
    at: deps.now(),
    runId: MCP_AUDIT_RUN_ID,
    step: 0,
    userId: caller.userId,
  });
  await traced(deps, 'mcp.audit.record', () => recordStep(deps, [], [audit]));
  countToolCall(deps, outcome);
  return toCallToolResult(outcome);
}
