import type { Config } from '../config/schema.ts';

/** The bounds of one run (docs/agents.md, "Limits"). */
export interface AgentLimits {
  maxSteps: number;
  maxDepth: number;
  timeoutMs: number;
  toolTimeoutMs: number;
  maxToolCallsPerStep: number;
  maxArgRetries: number;
  maxCostUsd: number;
}

/** The ceiling every run starts from: the AGENT_* settings. */
export const limitsFromConfig = (config: Config): AgentLimits => ({
  maxSteps: config.AGENT_MAX_STEPS,
  maxDepth: config.AGENT_MAX_DEPTH,
  timeoutMs: config.AGENT_TIMEOUT_MS,
  toolTimeoutMs: config.AGENT_TOOL_TIMEOUT_MS,
  maxToolCallsPerStep: config.AGENT_MAX_TOOL_CALLS_PER_STEP,
  maxArgRetries: config.AGENT_MAX_ARG_RETRIES,
  maxCostUsd: config.AGENT_MAX_COST_USD,
});

/** Applies lower limits over a ceiling: a profile or a request may lower a limit, never raise it. */
export function lowerLimits(ceiling: AgentLimits, lower: Partial<AgentLimits>): AgentLimits {
  const result = { ...ceiling };
  for (const key of Object.keys(ceiling) as (keyof AgentLimits)[]) {
    const value = lower[key];
    if (value !== undefined) result[key] = Math.min(ceiling[key], value);
  }
  return result;
}
