import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import { z } from 'zod';
import { agentProfiles } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { type FieldError, notFound, validationFailed } from '../../errors.ts';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../../http/pagination.ts';
import { limitsFromConfig } from '../agent-limits.ts';
import { agentNameSchema, limitsAboveCeiling, toAgentLimits, toLimitsColumn } from '../agents.schemas.ts';
import { findTool } from '../tools/registry.ts';
import { type AgentProfile, builtInAssistant, DEFAULT_PROFILE_NAME } from './agent-profile.ts';

/** What an admin stores under a name: everything of a profile but what the store sets. */
export type ProfileInput = Omit<AgentProfile, 'builtIn' | 'createdAt' | 'updatedAt'>;

const toProfile = (row: typeof agentProfiles.$inferSelect): AgentProfile => ({
  name: row.name,
  description: row.description,
  systemPrompt: row.systemPrompt,
  tools: row.tools,
  approvalTools: row.approvalTools,
  model: row.model,
  limits: toAgentLimits(row.limits),
  builtIn: false,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

// Names are ASCII; byte order keeps SQL's order and the built-in's place in it the same on every
// database, whatever its default collation makes of `-` and `_`.
const nameOrder = sql`${agentProfiles.name} collate "C"`;
const byName = (a: AgentProfile, b: AgentProfile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function storedProfile(deps: Pick<Deps, 'db'>, name: string) {
  const [row] = await deps.db.select().from(agentProfiles).where(eq(agentProfiles.name, name));
  return row && toProfile(row);
}

/** The profile of that name: the stored one, or the built-in `assistant` while none replaces it. */
export async function getProfile(deps: Pick<Deps, 'db'>, name: string): Promise<AgentProfile | undefined> {
  return (await storedProfile(deps, name)) ?? (name === DEFAULT_PROFILE_NAME ? builtInAssistant : undefined);
}

const nameCursorSchema = z.strictObject({ n: agentNameSchema });

/**
 * Every profile by name, the built-in `assistant` included unless a stored one replaces it.
 * Keyset-paginated on the name, so a profile stored meanwhile never shifts a later page.
 */
export async function listProfiles(deps: Pick<Deps, 'db'>, input: PageRequest): Promise<Page<AgentProfile>> {
  const after = input.cursor ? decodeCursor(input.cursor, nameCursorSchema, '/query/cursor').n : undefined;
  const rows = await deps.db
    .select()
    .from(agentProfiles)
    .where(after === undefined ? undefined : sql`${nameOrder} > ${after}`)
    .orderBy(asc(nameOrder))
    .limit(input.limit + 1);
  const profiles = rows.map(toProfile);
  const builtInInRange = after === undefined || DEFAULT_PROFILE_NAME > after;
  if (
    builtInInRange &&
    !profiles.some((p) => p.name === DEFAULT_PROFILE_NAME) &&
    !(await storedProfile(deps, DEFAULT_PROFILE_NAME))
  ) {
    profiles.push(builtInAssistant);
    profiles.sort(byName);
  }
  const items = profiles.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: profiles.length > input.limit && last ? encodeCursor({ n: last.name }) : null,
  };
}

const invalid = (errors: FieldError[]) =>
  validationFailed(
    errors.length === 1 ? errors[0]!.detail : `The profile has ${errors.length} invalid field(s).`,
    errors,
    422,
  );

/** Why the profile cannot be stored: unknown tools, approval on tools without side effects, limits above the settings. */
function profileErrors(deps: Pick<Deps, 'config' | 'llm'>, input: ProfileInput): FieldError[] {
  const errors: FieldError[] = [];
  input.tools.forEach((name, i) => {
    if (!findTool(name))
      errors.push({ pointer: `/body/tools/${i}`, detail: `"${name}" is not a registered tool` });
  });
  input.approvalTools.forEach((name, i) => {
    const pointer = `/body/approval_tools/${i}`;
    if (!input.tools.includes(name)) errors.push({ pointer, detail: `"${name}" must also be in tools` });
    else if (findTool(name)?.sideEffects === false)
      errors.push({
        pointer,
        detail: `"${name}" has no side effects: only side-effecting tools need approval`,
      });
  });
  // An OpenAI-compatible upstream serves more models than the one configured: it decides there.
  const known =
    deps.llm.provider !== 'local' || deps.llm.models().some((m) => m.kind === 'chat' && m.id === input.model);
  if (input.model !== null && !known) {
    errors.push({
      pointer: '/body/model',
      detail: `"${input.model}" is not a chat model of the ${deps.llm.provider} provider`,
    });
  }
  errors.push(...limitsAboveCeiling(limitsFromConfig(deps.config), input.limits, '/body/limits'));
  return errors;
}

/**
 * Creates or replaces the profile of that name (422 naming each invalid field). Replacing
 * `assistant` overrides the built-in until the stored one is deleted.
 */
export async function putProfile(
  deps: Pick<Deps, 'db' | 'config' | 'llm'>,
  input: ProfileInput,
): Promise<{ profile: AgentProfile; created: boolean }> {
  const errors = profileErrors(deps, input);
  if (errors.length > 0) throw invalid(errors);
  const fields = {
    description: input.description,
    systemPrompt: input.systemPrompt,
    tools: input.tools,
    approvalTools: input.approvalTools,
    model: input.model,
    limits: toLimitsColumn(input.limits),
  };
  const [row] = await deps.db
    .insert(agentProfiles)
    .values({ name: input.name, ...fields })
    .onConflictDoUpdate({ target: agentProfiles.name, set: { ...fields, updatedAt: sql`now()` } })
    // xmax is 0 on a row this statement inserted, set on one it updated.
    .returning({ ...getTableColumns(agentProfiles), created: sql<boolean>`(xmax = 0)` });
  const { created, ...stored } = row!;
  return { profile: toProfile(stored), created: Boolean(created) };
}

/** Deletes a stored profile (404 when none); deleting `assistant` brings the built-in back. */
export async function deleteProfile(deps: Pick<Deps, 'db'>, name: string): Promise<void> {
  const deleted = await deps.db
    .delete(agentProfiles)
    .where(eq(agentProfiles.name, name))
    .returning({ name: agentProfiles.name });
  if (deleted.length === 0) throw notFound(`No stored agent profile ${name}.`);
}
