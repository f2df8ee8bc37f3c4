import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import { putAgentProfileRoute } from '../../../src/agents/profiles/agents-admin.routes.ts';
import { mintToken } from '../../../src/auth/mint-token.ts';
import { MCP_AUDIT_RUN_ID } from '../../../src/mcp/mcp-tools.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { connectMcp, resultText } from '../../helpers/mcp-client.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { TEST_JWT_SECRET } from '../../helpers/test-secret.ts';

// No built-in tool needs the admin role: the registry gets one, for this file only.
vi.mock('../../../src/agents/tools/registry.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/agents/tools/registry.ts')>();
  const { defineTool } = await import('../../../src/agents/tools/tool.ts');
  const adminEcho = defineTool({
    name: 'admin_echo',
    description: 'Echoes a word (admins only).',
    input: z.object({ word: z.string().max(20) }),
    output: z.object({ word: z.string() }),
    timeoutMs: 1000,
    sideEffects: false,
    role: 'admin',
    execute: async ({ word }) => ({ word }),
  });
  const toolRegistry = [...original.toolRegistry, adminEcho];
  return {
    toolRegistry,
    findTool: (name: string) => toolRegistry.find((tool) => tool.name === name),
  };
});

describe.each(databaseKinds)('MCP security on %s', (kind) => {
  const t = useTestApp(kind);
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const post = (headers: Record<string, string>) =>
    t.request('/mcp', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: initialize,
    });

  it('answers 401 with WWW-Authenticate without a token or with an expired one', async () => {
    const none = await post({});
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    await expectProblem(none, 401);
    const expired = await mintToken({
      secret: TEST_JWT_SECRET,
      sub: 'mcp-expired',
      role: 'user',
      expiresIn: '-1m',
      issuer: t.deps.config.JWT_ISSUER,
      audience: t.deps.config.JWT_AUDIENCE,
    });
    const answered = await post({ Authorization: `Bearer ${expired}` });
    expect(answered.headers.get('www-authenticate')).toMatch(/^Bearer /);
    await expectProblem(answered, 401);
    await expect(connectMcp(server.url, expired)).rejects.toThrow(/401|nauthorized/);
  });

  it('offers and runs an admin tool for admins only, whatever the profile lists', async () => {
    const put = await t.as('mcp-sec-admin', '/admin/agents/mcp-mixed', {
      role: 'admin',
      ...postJson({ system_prompt: 'Mixed.', tools: ['calculator', 'admin_echo'] }),
      method: 'PUT',
    });
    await readBody(put, putAgentProfileRoute, 201);

    const admin = await connectMcp(server.url, await t.token('mcp-sec-admin', 'admin'), {
      agent: 'mcp-mixed',
    });
    expect((await admin.listTools()).tools.map((tool) => tool.name)).toEqual(['calculator', 'admin_echo']);
    expect(
      (await admin.callTool({ name: 'admin_echo', arguments: { word: 'hi' } })).structuredContent,
    ).toEqual({
      word: 'hi',
    });
    await admin.close();

    const sub = 'mcp-sec-user';
    const user = await connectMcp(server.url, await t.token(sub), { agent: 'mcp-mixed' });
    expect((await user.listTools()).tools.map((tool) => tool.name)).toEqual(['calculator']);
    const refused = await user.callTool({ name: 'admin_echo', arguments: { word: 'hi' } });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(/^not_allowed: /);
    await user.close();
    const audit = await readBody(
      await t.as('mcp-sec-admin', `/admin/audit?run_id=${MCP_AUDIT_RUN_ID}&user_id=${sub}`, {
        role: 'admin',
      }),
      listAuditRoute,
      200,
    );
    expect(audit.items.map((a) => [a.tool, a.decision])).toEqual([['admin_echo', 'blocked_allowlist']]);
  });

  it('takes API keys with the agents scope, and refuses keys without it', async () => {
    const sub = 'mcp-sec-keys';
    const create = async (scopes: string[]) => {
      const res = await t.as(sub, '/me/api-keys', postJson({ name: `mcp ${scopes.join(' ')}`, scopes }));
      expect(res.status).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };
    const agentsKey = await create(['agents']);
    const client = await connectMcp(server.url, agentsKey);
    expect(
      (await client.callTool({ name: 'calculator', arguments: { expression: '2+2' } })).structuredContent,
    ).toEqual({ expression: '2+2', result: 4 });
    await client.close();
    await expectProblem(await post({ Authorization: `Bearer ${await create(['rag'])}` }), 403);
  });
});
