import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { agentNameSchema } from '../agents.schemas.ts';

export const agentToolSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    parameters: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'JSON Schema of the arguments (closed: no extra properties)' }),
    output: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema of the result' }),
    timeout_ms: z.number().int().openapi({ description: 'The time cap a call runs under' }),
    side_effects: z.boolean(),
    requires_approval: z
      .boolean()
      .openapi({ description: "True when the agent's profile pauses the run for the owner's approval" }),
  })
  .openapi('AgentTool');

export const listToolsRoute = createRoute({
  method: 'get',
  path: '/agent/tools',
  operationId: 'listAgentTools',
  tags: ['agents'],
  summary: 'The tools an agent may use for the caller, with their schemas',
  ...guarded({ routeClass: 'read' }),
  request: {
    query: z.object({
      agent: agentNameSchema
        .default('assistant')
        .openapi({ description: 'The profile whose allowlist applies' }),
    }),
  },
  responses: {
    200: {
      description: "The agent's tools the caller's role allows",
      content: {
        'application/json': {
          schema: z.object({ agent: z.string(), items: z.array(agentToolSchema) }).openapi('AgentToolList'),
        },
      },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});
