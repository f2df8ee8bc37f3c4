import { z } from 'zod';
import type { AgentLimitsColumn } from '../db/tables/agents.ts';
import type { FieldError } from '../errors.ts';
import type { AgentLimits } from './agent-limits.ts';

// Schema pieces more than one agents route uses (docs/conventions.md). Plain zod: biome.json keeps
// Hono out of files that are not routes or handlers, and `.meta({ id })` names an OpenAPI
// component just as `.openapi(name)` does.

/** A profile's name, as paths and run requests carry it. */
export const agentNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be 1-64 lowercase letters, digits, _ or -, starting with a letter')
  .meta({ example: 'assistant' });

// Each limit's field (in bodies and in the limits column) and the setting it may not exceed.
const limitFields: Record<keyof AgentLimits, { field: keyof AgentLimitsColumn; setting: string }> = {
  maxSteps: { field: 'max_steps', setting: 'AGENT_MAX_STEPS' },
  maxDepth: { field: 'max_depth', setting: 'AGENT_MAX_DEPTH' },
  timeoutMs: { field: 'timeout_ms', setting: 'AGENT_TIMEOUT_MS' },
  toolTimeoutMs: { field: 'tool_timeout_ms', setting: 'AGENT_TOOL_TIMEOUT_MS' },
  maxToolCallsPerStep: { field: 'max_tool_calls_per_step', setting: 'AGENT_MAX_TOOL_CALLS_PER_STEP' },
  maxArgRetries: { field: 'max_arg_retries', setting: 'AGENT_MAX_ARG_RETRIES' },
  maxCostUsd: { field: 'max_cost_usd', setting: 'AGENT_MAX_COST_USD' },
};
const limitKeys = Object.keys(limitFields) as (keyof AgentLimits)[];

/**
 * Limits that lower the AGENT_* settings for a profile or a run. Strict: a misspelt limit is
 * refused rather than silently not applied. Depth and argument retries may be 0 (no sub-agents,
 * no second chance), as their settings may.
 */
export const agentLimitsSchema = z
  .strictObject({
    max_steps: z.number().int().min(1).optional(),
    max_depth: z.number().int().min(0).optional(),
    timeout_ms: z.number().int().min(1).optional(),
    tool_timeout_ms: z.number().int().min(1).optional(),
    max_tool_calls_per_step: z.number().int().min(1).optional(),
    max_arg_retries: z.number().int().min(0).optional(),
    max_cost_usd: z.number().positive().optional(),
  })
  .meta({
    id: 'AgentLimits',
    description: 'Each at most its AGENT_* setting (422 otherwise); an unset limit takes the setting.',
  });

/** Snake-case limits (a body, or the limits column) as the domain's camel-case ones. */
export function toAgentLimits(limits: AgentLimitsColumn): Partial<AgentLimits> {
  const result: Partial<AgentLimits> = {};
  for (const key of limitKeys) {
    const value = limits[limitFields[key].field];
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/** The domain's limits in snake case, for a response body or the limits column. */
export function toLimitsColumn(limits: Partial<AgentLimits>): AgentLimitsColumn {
  const result: AgentLimitsColumn = {};
  for (const key of limitKeys) {
    const value = limits[key];
    if (value !== undefined) result[limitFields[key].field] = value;
  }
  return result;
}

/** One field error under `pointer` per limit above its setting, naming the setting. */
export function limitsAboveCeiling(
  ceiling: AgentLimits,
  limits: Partial<AgentLimits>,
  pointer: string,
  /** What sets the ceiling, when it is not the AGENT_* setting (a profile's own limits). */
  ceilingName?: string,
): FieldError[] {
  return limitKeys.flatMap((key) => {
    const value = limits[key];
    const { field, setting } = limitFields[key];
    return value !== undefined && value > ceiling[key]
      ? [
          {
            pointer: `${pointer}/${field}`,
            detail: `${field} must be at most ${ceiling[key]} (${ceilingName ?? setting})`,
          },
        ]
      : [];
  });
}
