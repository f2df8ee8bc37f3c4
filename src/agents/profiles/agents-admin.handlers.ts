import type { RouteHandler, z } from '@hono/zod-openapi';
import { notFound } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { toPageResponse } from '../../http/pagination.ts';
import { toAgentLimits, toLimitsColumn } from '../agents.schemas.ts';
import type { AgentProfile } from './agent-profile.ts';
import type {
  agentProfileSchema,
  deleteAgentProfileRoute,
  getAgentProfileRoute,
  listAgentProfilesRoute,
  putAgentProfileRoute,
} from './agents-admin.routes.ts';
import { deleteProfile, getProfile, listProfiles, putProfile } from './profile-store.ts';

const toAgentProfileResponse = (profile: AgentProfile): z.input<typeof agentProfileSchema> => ({
  name: profile.name,
  description: profile.description,
  system_prompt: profile.systemPrompt,
  tools: profile.tools,
  approval_tools: profile.approvalTools,
  model: profile.model,
  limits: toLimitsColumn(profile.limits),
  built_in: profile.builtIn,
  created_at: profile.createdAt?.toISOString() ?? null,
  updated_at: profile.updatedAt?.toISOString() ?? null,
});

export const listAgentProfilesHandler: RouteHandler<typeof listAgentProfilesRoute, AuthedEnv> = async (c) => {
  const page = await listProfiles(c.get('deps'), c.req.valid('query'));
  return c.json(toPageResponse(page, toAgentProfileResponse), 200);
};

export const getAgentProfileHandler: RouteHandler<typeof getAgentProfileRoute, AuthedEnv> = async (c) => {
  const { name } = c.req.valid('param');
  const profile = await getProfile(c.get('deps'), name);
  if (!profile) throw notFound(`No agent profile ${name}.`);
  return c.json(toAgentProfileResponse(profile), 200);
};

export const putAgentProfileHandler: RouteHandler<typeof putAgentProfileRoute, AuthedEnv> = async (c) => {
  const { name } = c.req.valid('param');
  const body = c.req.valid('json');
  const { profile, created } = await putProfile(c.get('deps'), {
    name,
    description: body.description,
    systemPrompt: body.system_prompt,
    tools: body.tools,
    approvalTools: body.approval_tools,
    model: body.model,
    limits: toAgentLimits(body.limits),
  });
  return created
    ? c.json(toAgentProfileResponse(profile), 201)
    : c.json(toAgentProfileResponse(profile), 200);
};

export const deleteAgentProfileHandler: RouteHandler<typeof deleteAgentProfileRoute, AuthedEnv> = async (
  c,
) => {
  await deleteProfile(c.get('deps'), c.req.valid('param').name);
  return c.body(null, 204);
};
