import { z } from 'zod';
import type { Role } from '../../auth/principal.ts';
import type { Deps } from '../../deps.ts';
import type { CallMeta, ToolDefinition } from '../../llm/llm-client.ts';

/** What a tool may use while it runs: the app's deps, the caller, and the run's deadline. */
export interface ToolContext {
  deps: Deps;
  /** The user the run belongs to: every tool's data access is scoped to this id. */
  userId: string;
  role: Role;
  /** Aborts when the tool's timeout or the run's deadline passes. */
  signal: AbortSignal;
  /** Passed on to model and embedding calls the tool makes (accounted to the run's request). */
  meta: CallMeta;
  /** Starts a sub-agent run (the `delegate` tool); the depth and budget limits apply inside. */
  delegate?: (task: string, tools: string[] | undefined) => Promise<DelegatedRun>;
}

/** What a sub-agent run hands back to the run that started it. */
export interface DelegatedRun {
  runId: string;
  answer: string;
  stopReason: string;
}

/**
 * One tool the agent loop can call. Its input schema is what the model sees (as strict JSON
 * Schema) and what arguments are validated against before anything runs; its output schema is
 * checked on the way back, so a tool can never hand the model something it did not declare.
 */
export interface AgentTool<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: Input;
  output: Output;
  /** The tool's own time cap; the run's AGENT_TOOL_TIMEOUT_MS applies when it is lower. */
  timeoutMs: number;
  /** True for a tool bounded by the run's remaining time instead of the per-tool timeout (delegate). */
  runsToDeadline?: boolean;
  /** True when running it changes something outside cairn (profiles may then require approval). */
  sideEffects: boolean;
  /** The role a caller needs to use it. */
  role: Role;
  execute(input: z.output<Input>, context: ToolContext): Promise<z.input<Output>>;
}

/** Declares a tool with its input and output types inferred from its schemas. */
export const defineTool = <Input extends z.ZodObject, Output extends z.ZodType>(
  tool: AgentTool<Input, Output>,
): AgentTool => tool as unknown as AgentTool;

const definitions = new WeakMap<AgentTool, ToolDefinition>();
const outputSchemas = new WeakMap<AgentTool, Record<string, unknown>>();
const strictInputs = new WeakMap<AgentTool, z.ZodObject>();

/** The tool's input schema closed to extra properties: what arguments are validated against. */
export function strictInput(tool: AgentTool): z.ZodObject {
  let schema = strictInputs.get(tool);
  if (!schema) {
    schema = tool.input.strict();
    strictInputs.set(tool, schema);
  }
  return schema;
}

/** The JSON Schema the model is offered: the strict input schema (built once per tool). */
export function toolDefinition(tool: AgentTool): ToolDefinition {
  let definition = definitions.get(tool);
  if (!definition) {
    const parameters = z.toJSONSchema(strictInput(tool), { target: 'draft-2020-12', io: 'input' });
    const { $schema: _schema, ...schema } = parameters as Record<string, unknown>;
    definition = { name: tool.name, description: tool.description, parameters: schema };
    definitions.set(tool, definition);
  }
  return definition;
}

/** The JSON Schema of the tool's result (built once per tool). */
export function toolOutputSchema(tool: AgentTool): Record<string, unknown> {
  let schema = outputSchemas.get(tool);
  if (!schema) {
    const { $schema: _schema, ...output } = z.toJSONSchema(tool.output, {
      io: 'output',
      unrepresentable: 'any',
    });
    schema = output;
    outputSchemas.set(tool, schema);
  }
  return schema;
}
