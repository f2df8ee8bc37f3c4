import { describe, expect, it } from 'vitest';
import { builtInAssistant } from '../../../src/agents/profiles/agent-profile.ts';
import {
  getAgentProfileRoute,
  listAgentProfilesRoute,
  putAgentProfileRoute,
} from '../../../src/agents/profiles/agents-admin.routes.ts';
import { toolRegistry } from '../../../src/agents/tools/registry.ts';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';

const ADMIN = 'agents-admin-root';

const admin = (t: TestApp, path: string, init: RequestInit = {}) =>
  t.as(ADMIN, path, { ...init, role: 'admin' });

const putJson = (body: unknown): RequestInit => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const put = (t: TestApp, name: string, body: unknown) => admin(t, `/admin/agents/${name}`, putJson(body));

const getProfile = async (t: TestApp, name: string) =>
  readBody(await admin(t, `/admin/agents/${name}`), getAgentProfileRoute, 200);

/** Every profile, page after page. */
async function listAll(t: TestApp, limit = 100) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const query = `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const page = readBody(await admin(t, `/admin/agents?${query}`), listAgentProfilesRoute, 200);
    const { items, next_cursor } = await page;
    pages.push(items.map((p) => p.name));
    cursor = next_cursor ?? undefined;
  } while (cursor);
  return pages;
}

const researcher = {
  description: 'Answers from documents only',
  system_prompt: 'Answer from the documents; cite them.',
  tools: ['search_documents', 'document_info'],
  limits: { max_steps: 4, max_cost_usd: 0.25 },
};

// A tool whose calls can need approval, and one whose calls cannot.
const sideEffecting = toolRegistry.find((tool) => tool.sideEffects)!;
const readOnly = toolRegistry.find((tool) => !tool.sideEffects)!;

describe.each(databaseKinds)('/admin/agents on %s', (kind) => {
  describe('profiles', () => {
    // Profiles belong to the whole database: each test uses names of its own and asserts on them only.
    const t = useTestApp(kind);

    it('an admin creates, reads, lists, replaces and deletes a profile', async () => {
      const created = await readBody(await put(t, 'researcher', researcher), putAgentProfileRoute, 201);
      expect(created).toEqual({
        name: 'researcher',
        description: 'Answers from documents only',
        system_prompt: 'Answer from the documents; cite them.',
        tools: ['search_documents', 'document_info'],
        approval_tools: [],
        model: null,
        limits: { max_steps: 4, max_cost_usd: 0.25 },
        built_in: false,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(await getProfile(t, 'researcher')).toEqual(created);
      expect((await listAll(t)).flat()).toEqual(expect.arrayContaining(['researcher', 'assistant']));

      const replaced = await readBody(
        await put(t, 'researcher', {
          system_prompt: 'Be brief.',
          tools: ['calculator'],
          model: t.deps.llm.chatModel,
        }),
        putAgentProfileRoute,
        200,
      );
      expect(replaced).toMatchObject({
        name: 'researcher',
        description: '',
        system_prompt: 'Be brief.',
        tools: ['calculator'],
        approval_tools: [],
        model: t.deps.llm.chatModel,
        limits: {},
        created_at: created.created_at,
      });
      expect(Date.parse(replaced.updated_at!)).toBeGreaterThanOrEqual(Date.parse(created.updated_at!));

      const deleted = await admin(t, '/admin/agents/researcher', { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      await expectProblem(await admin(t, '/admin/agents/researcher'), 404);
      expect((await listAll(t)).flat()).not.toContain('researcher');
    });

    it('limits at their settings are accepted', async () => {
      const config = t.deps.config;
      const limits = {
        max_steps: config.AGENT_MAX_STEPS,
        max_depth: 0,
        timeout_ms: config.AGENT_TIMEOUT_MS,
        tool_timeout_ms: config.AGENT_TOOL_TIMEOUT_MS,
        max_tool_calls_per_step: config.AGENT_MAX_TOOL_CALLS_PER_STEP,
        max_arg_retries: 0,
        max_cost_usd: config.AGENT_MAX_COST_USD,
      };
      const body = await readBody(
        await put(t, 'at-the-limits', { ...researcher, limits }),
        putAgentProfileRoute,
        201,
      );
      expect(body.limits).toEqual(limits);
    });

    it('approval applies to side-effecting tools in the allowlist', async () => {
      const tool = sideEffecting.name;
      const body = await readBody(
        await put(t, 'careful', { ...researcher, tools: [tool, 'calculator'], approval_tools: [tool] }),
        putAgentProfileRoute,
        201,
      );
      expect(body).toMatchObject({ tools: [tool, 'calculator'], approval_tools: [tool] });
    });

    it('an unknown tool is 422 pointing at it, and nothing is stored', async () => {
      const problem = await expectProblem(
        await put(t, 'unknown-tool', { ...researcher, tools: ['search_documents', 'rm_rf'] }),
        422,
      );
      expect(problem.errors).toEqual([
        { pointer: '/body/tools/1', detail: expect.stringContaining('rm_rf') },
      ]);
      await expectProblem(await admin(t, '/admin/agents/unknown-tool'), 404);
    });

    it('a limit above its setting is 422 naming the limit and the setting', async () => {
      const problem = await expectProblem(
        await put(t, 'too-long', {
          ...researcher,
          limits: { max_steps: t.deps.config.AGENT_MAX_STEPS + 1, max_cost_usd: 0.1 },
        }),
        422,
      );
      expect(problem.errors).toEqual([
        { pointer: '/body/limits/max_steps', detail: expect.stringContaining('AGENT_MAX_STEPS') },
      ]);

      const costly = await expectProblem(
        await put(t, 'too-costly', {
          ...researcher,
          limits: { max_cost_usd: t.deps.config.AGENT_MAX_COST_USD * 2 },
        }),
        422,
      );
      expect(costly.errors?.map((e) => e.pointer)).toEqual(['/body/limits/max_cost_usd']);
    });

    it('approval on a tool without side effects, or outside the allowlist, is 422', async () => {
      const problem = await expectProblem(
        await put(t, 'needless-approval', {
          ...researcher,
          tools: [readOnly.name],
          approval_tools: [readOnly.name],
        }),
        422,
      );
      expect(problem.errors).toEqual([
        { pointer: '/body/approval_tools/0', detail: expect.stringContaining('no side effects') },
      ]);

      const outside = await expectProblem(
        await put(t, 'approval-outside', { ...researcher, approval_tools: ['http_request'] }),
        422,
      );
      expect(outside.errors).toEqual([
        { pointer: '/body/approval_tools/0', detail: expect.stringContaining('must also be in tools') },
      ]);
    });

    it('an unknown model is 422', async () => {
      const problem = await expectProblem(
        await put(t, 'unknown-model', { ...researcher, model: 'gpt-none' }),
        422,
      );
      expect(problem.errors?.map((e) => e.pointer)).toEqual(['/body/model']);
    });

    it('malformed names and bodies are 400 with a pointer', async () => {
      const cases: [string, unknown, string][] = [
        ['Capitals', researcher, '/path/name'],
        ['9-starts-with-a-digit', researcher, '/path/name'],
        [`a${'b'.repeat(64)}`, researcher, '/path/name'],
        ['no-prompt', { ...researcher, system_prompt: '' }, '/body/system_prompt'],
        ['long-prompt', { ...researcher, system_prompt: 'x'.repeat(8001) }, '/body/system_prompt'],
        ['nul-prompt', { ...researcher, system_prompt: 'a\u0000b' }, '/body/system_prompt'],
        ['repeated-tool', { ...researcher, tools: ['calculator', 'calculator'] }, '/body/tools/1'],
        ['no-tools', { system_prompt: 'Hi' }, '/body/tools'],
        ['misspelt-limit', { ...researcher, limits: { max_step: 2 } }, '/body/limits'],
        ['zero-steps', { ...researcher, limits: { max_steps: 0 } }, '/body/limits/max_steps'],
        ['free-run', { ...researcher, limits: { max_cost_usd: 0 } }, '/body/limits/max_cost_usd'],
      ];
      for (const [name, body, pointer] of cases) {
        const problem = await expectProblem(await put(t, name, body), 400);
        expect(
          problem.errors?.map((e) => e.pointer),
          name,
        ).toContain(pointer);
      }
    });

    it('an unknown profile is 404 to read and to delete', async () => {
      await expectProblem(await admin(t, '/admin/agents/nobody'), 404);
      await expectProblem(await admin(t, '/admin/agents/nobody', { method: 'DELETE' }), 404);
    });

    it.each(Object.entries(CRAFTED_LIST_CURSORS))(
      'a crafted cursor (%s) is 400 at /query/cursor',
      async (_, cursor) => {
        const problem = await expectProblem(
          await admin(t, `/admin/agents?cursor=${encodeURIComponent(cursor)}`),
          400,
        );
        expect(problem.errors?.[0]?.pointer).toBe('/query/cursor');
      },
    );

    it('is for admins only', async () => {
      const sub = 'agents-admin-not-admin';
      await expectProblem(await t.request('/admin/agents'), 401);
      await expectProblem(await t.as(sub, '/admin/agents'), 403);
      await expectProblem(await t.as(sub, '/admin/agents/assistant'), 403);
      await expectProblem(await t.as(sub, '/admin/agents/sneaky', putJson(researcher)), 403);
      await expectProblem(await t.as(sub, '/admin/agents/assistant', { method: 'DELETE' }), 403);
      await expectProblem(await admin(t, '/admin/agents/sneaky'), 404);
    });
  });

  describe('the built-in assistant', () => {
    // Replacing `assistant` changes it for the whole database: a database of its own.
    const t = useTestApp(kind);

    it('is replaced by a stored one and restored when that is deleted', async () => {
      const builtIn = await getProfile(t, 'assistant');
      expect(builtIn).toMatchObject({
        name: 'assistant',
        built_in: true,
        tools: builtInAssistant.tools,
        created_at: null,
        updated_at: null,
      });
      await expectProblem(await admin(t, '/admin/agents/assistant', { method: 'DELETE' }), 404);

      const stored = await readBody(
        await put(t, 'assistant', { system_prompt: 'Only arithmetic.', tools: ['calculator'] }),
        putAgentProfileRoute,
        201,
      );
      expect(stored).toMatchObject({ built_in: false, tools: ['calculator'] });
      expect(await getProfile(t, 'assistant')).toEqual(stored);
      const listed = await readBody(await admin(t, '/admin/agents'), listAgentProfilesRoute, 200);
      expect(listed.items.filter((p) => p.name === 'assistant')).toEqual([stored]);

      expect((await admin(t, '/admin/agents/assistant', { method: 'DELETE' })).status).toBe(204);
      expect(await getProfile(t, 'assistant')).toEqual(builtIn);
    });
  });

  describe('listing', () => {
    // Asserts on the whole list: a database of its own.
    const t = useTestApp(kind);

    it('pages by name in byte order, the built-in in its place, never repeating or skipping', async () => {
      for (const name of ['zeta', 'b_x', 'b-x', 'ba', 'alpha']) {
        await readBody(await put(t, name, researcher), putAgentProfileRoute, 201);
      }
      const order = ['alpha', 'assistant', 'b-x', 'b_x', 'ba', 'zeta'];
      expect(await listAll(t, 100)).toEqual([order]);
      expect(await listAll(t, 2)).toEqual([order.slice(0, 2), order.slice(2, 4), order.slice(4)]);
      expect(await listAll(t, 1)).toEqual(order.map((name) => [name]));
      expect((await listAll(t, 3)).flat()).toEqual(order);
    });
  });
});
