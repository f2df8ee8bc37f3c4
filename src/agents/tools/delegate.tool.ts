import { z } from 'zod';
import { defineTool } from './tool.ts';
import { ToolError } from './tool-error.ts';

/**
 * Starts a sub-agent with the parent's profile, deadline and remaining budget, and a subset of
 * its tools; the sub-agent's answer is this tool's result.
 */
export const delegateTool = defineTool({
  name: 'delegate',
  description:
    'Hand a self-contained sub-task to a sub-agent and get its answer back. Optionally name the subset of your tools it may use.',
  input: z.object({
    task: z.string().min(1).max(4000).describe('What the sub-agent should find out or do'),
    tools: z
      .array(z.string().max(64))
      .max(16)
      .optional()
      .describe('Tools the sub-agent may use (a subset of yours)'),
  }),
  output: z.object({ run_id: z.string(), answer: z.string(), stop_reason: z.string() }),
  timeoutMs: 3_600_000,
  runsToDeadline: true,
  sideEffects: false,
  role: 'user',
  async execute(input, context) {
    if (!context.delegate) throw new ToolError('not_allowed', 'Delegation is not available here.');
    const run = await context.delegate(input.task, input.tools);
    return { run_id: run.runId, answer: run.answer, stop_reason: run.stopReason };
  },
});
