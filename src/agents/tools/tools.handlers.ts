import type { RouteHandler, z } from '@hono/zod-openapi';
import { notFound } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { getProfile } from '../profiles/profile-store.ts';
import { offeredTools } from '../runs/run-loop.ts';
import { callTimeoutMs } from '../runs/tool-execution.ts';
import { type AgentTool, toolDefinition, toolOutputSchema } from './tool.ts';
import type { agentToolSchema, listToolsRoute } from './tools.routes.ts';

const toToolResponse = (
  tool: AgentTool,
  toolTimeoutMs: number,
  approval: ReadonlySet<string>,
): z.input<typeof agentToolSchema> => ({
  name: tool.name,
  description: tool.description,
  parameters: toolDefinition(tool).parameters,
  output: toolOutputSchema(tool),
  timeout_ms: tool.runsToDeadline ? 0 : callTimeoutMs(tool, toolTimeoutMs, Infinity),
  side_effects: tool.sideEffects,
  requires_approval: approval.has(tool.name),
});

export const listToolsHandler: RouteHandler<typeof listToolsRoute, AuthedEnv> = async (c) => {
  const deps = c.get('deps');
  const { agent } = c.req.valid('query');
  const profile = await getProfile(deps, agent);
  if (!profile) throw notFound(`There is no agent named "${agent}".`);
  const approval = new Set(profile.approvalTools);
  const toolTimeoutMs = Math.min(deps.config.AGENT_TOOL_TIMEOUT_MS, profile.limits.toolTimeoutMs ?? Infinity);
  return c.json(
    {
      agent: profile.name,
      items: offeredTools(profile.tools, c.get('principal').role).map((tool) =>
        toToolResponse(tool, toolTimeoutMs, approval),
      ),
    },
    200,
  );
};
