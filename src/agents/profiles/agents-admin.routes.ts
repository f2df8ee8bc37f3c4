import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../../http/pagination.ts';
import { safeString } from '../../http/text-safety.ts';
import { agentLimitsSchema, agentNameSchema } from '../agents.schemas.ts';

const SYSTEM_PROMPT_MAX_CHARS = 8000;

const toolNameField = z.string().min(1).max(64).openapi({ example: 'search_documents' });

// A repeated name would be two entries for one tool: refused, with the pointer at the repeat.
const toolList = (description: string) =>
  z
    .array(toolNameField)
    .max(32)
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i], message: 'repeats a tool' });
      });
    })
    .openapi({ description });

export const agentProfileSchema = z
  .object({
    name: agentNameSchema,
    description: z.string(),
    system_prompt: z.string(),
    tools: z.array(z.string()),
    approval_tools: z.array(z.string()),
    model: z.string().nullable().openapi({ description: "null: the provider's default chat model" }),
    limits: agentLimitsSchema,
    built_in: z
      .boolean()
      .openapi({ description: 'The built-in assistant, which no stored profile replaces' }),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi('AgentProfile');

const putAgentProfileSchema = z
  .object({
    description: safeString().max(1000).default(''),
    system_prompt: safeString().min(1).max(SYSTEM_PROMPT_MAX_CHARS),
    tools: toolList('Registered tool names: the only tools the model is offered and may call'),
    approval_tools: toolList(
      'Side-effecting tools among `tools` whose calls wait for the run owner to approve them',
    ).default([]),
    model: safeString().min(1).max(200).nullable().default(null),
    limits: agentLimitsSchema.default({}),
  })
  .openapi('AgentProfileInput', {
    example: {
      description: 'Answers from the caller’s documents',
      system_prompt: 'Answer from the caller’s documents and cite them.',
      tools: ['search_documents'],
      approval_tools: [],
    },
  });

const nameParam = z.object({ name: agentNameSchema.openapi({ param: { name: 'name', in: 'path' } }) });

export const listAgentProfilesRoute = createRoute({
  method: 'get',
  path: '/admin/agents',
  operationId: 'listAgentProfiles',
  tags: ['admin'],
  summary: 'Agent profiles by name, the built-in assistant included unless replaced',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { query: pageQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(agentProfileSchema, 'AgentProfilePage'), 'A page of profiles'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const getAgentProfileRoute = createRoute({
  method: 'get',
  path: '/admin/agents/{name}',
  operationId: 'getAgentProfile',
  tags: ['admin'],
  summary: 'One agent profile',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { params: nameParam },
  responses: {
    200: jsonResponse(agentProfileSchema, 'The profile'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const putAgentProfileRoute = createRoute({
  method: 'put',
  path: '/admin/agents/{name}',
  operationId: 'putAgentProfile',
  tags: ['admin'],
  summary: 'Create or replace an agent profile (replacing `assistant` overrides the built-in)',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: {
    params: nameParam,
    body: { content: { 'application/json': { schema: putAgentProfileSchema } }, required: true },
  },
  responses: {
    201: jsonResponse(agentProfileSchema, 'Created'),
    200: jsonResponse(agentProfileSchema, 'Replaced'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const deleteAgentProfileRoute = createRoute({
  method: 'delete',
  path: '/admin/agents/{name}',
  operationId: 'deleteAgentProfile',
  tags: ['admin'],
  summary: 'Delete a stored profile (deleting `assistant` restores the built-in)',
  ...guarded({ routeClass: 'admin', role: 'admin' }),
  request: { params: nameParam },
  responses: { 204: { description: 'Deleted' }, ...authErrorResponses, ...problemResponses },
});
