import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import { putAgentProfileRoute } from '../../../src/agents/profiles/agents-admin.routes.ts';
import { listToolsRoute } from '../../../src/agents/tools/tools.routes.ts';
import { MCP_AUDIT_RUN_ID } from '../../../src/mcp/mcp-tools.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { connectMcp, resultText } from '../../helpers/mcp-client.ts';
import { drain, queueText } from '../../helpers/rag.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { useTestApp } from '../../helpers/test-app.ts';

// A fake JSON API http_request is allowed to call (AGENT_HTTP_ALLOWED_HOSTS), as in agent-runs.test.ts.
const api: Server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ path: req.url, rates: { EUR: 0.5 } }));
});
await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
const apiHost = `127.0.0.1:${(api.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

const VACUUM = 'Vacuum reclaims storage occupied by dead tuples and updates the visibility map.';

describe.each(databaseKinds)('agent tools over MCP on %s', (kind) => {
  const t = useTestApp(kind, { env: { AGENT_HTTP_ALLOWED_HOSTS: apiHost } });
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());

  const connect = async (sub: string, options: { agent?: string; role?: 'user' | 'admin' } = {}) =>
    connectMcp(server.url, await t.token(sub, options.role), options);
  const mcpAudit = async (sub: string) =>
    (
      await readBody(
        await t.as('mcp-admin', `/admin/audit?run_id=${MCP_AUDIT_RUN_ID}&user_id=${sub}`, { role: 'admin' }),
        listAuditRoute,
        200,
      )
    ).items;

  it("lists the default agent's tools (less delegate) with input and output schemas", async () => {
    const sub = 'mcp-list';
    const client = await connect(sub);
    const { tools } = await client.listTools();
    const offered = await readBody(await t.as(sub, '/agent/tools'), listToolsRoute, 200);
    expect(tools.map((tool) => tool.name)).toEqual(
      offered.items.map((tool) => tool.name).filter((name) => name !== 'delegate'),
    );
    const calculator = tools.find((tool) => tool.name === 'calculator')!;
    expect(calculator.inputSchema).toMatchObject({
      type: 'object',
      properties: { expression: expect.any(Object) },
      additionalProperties: false,
    });
    expect(calculator.outputSchema).toMatchObject({ type: 'object' });
    expect(calculator.annotations).toEqual({ readOnlyHint: true });
    expect(tools.find((tool) => tool.name === 'http_request')!.annotations).toEqual({ readOnlyHint: false });
    expect(client.getServerVersion()?.name).toBe('cairn');
    await client.close();
  });

  it('calls every tool, with structured results, citations, and an audit row per call', async () => {
    const sub = 'mcp-calls';
    const doc = await queueText(t, sub, { title: 'Vacuum notes', content: VACUUM });
    await drain(t);
    const client = await connect(sub);

    const calc = await client.callTool({
      name: 'calculator',
      arguments: { expression: '2480 * 17.5 / 100' },
    });
    expect(calc.isError).toBeFalsy();
    expect(calc.structuredContent).toEqual({ expression: '2480 * 17.5 / 100', result: 434 });
    expect(JSON.parse(resultText(calc))).toEqual(calc.structuredContent);

    const search = await client.callTool({
      name: 'search_documents',
      arguments: { query: 'vacuum dead tuples visibility map' },
    });
    expect(search.isError).toBeFalsy();
    const hits = (search.structuredContent as { results: Record<string, unknown>[] }).results;
    expect(hits[0]).toMatchObject({ document_id: doc.document_id, title: 'Vacuum notes', text: VACUUM });
    expect(search._meta).toEqual({
      citations: [
        expect.objectContaining({
          chunk_id: hits[0]!.chunk_id,
          document_id: doc.document_id,
          document_title: 'Vacuum notes',
          score: expect.any(Number),
        }),
      ],
    });

    const info = await client.callTool({ name: 'document_info', arguments: {} });
    expect(info.structuredContent).toMatchObject({
      total: 1,
      documents: [expect.objectContaining({ id: doc.document_id, status: 'ready' })],
    });

    const usage = await client.callTool({ name: 'usage_summary', arguments: { days: 7 } });
    expect(usage.structuredContent).toMatchObject({ days: 7, requests: expect.any(Number) });

    const http = await client.callTool({
      name: 'http_request',
      arguments: { url: `http://${apiHost}/rates` },
    });
    expect(http.structuredContent).toMatchObject({
      status: 200,
      body: { path: '/rates', rates: { EUR: 0.5 } },
      truncated: false,
    });
    await client.close();

    const audit = await mcpAudit(sub);
    expect(audit.map((a) => [a.tool, a.decision, a.status, a.step])).toEqual([
      ['http_request', 'executed', 'ok', 0],
      ['usage_summary', 'executed', 'ok', 0],
      ['document_info', 'executed', 'ok', 0],
      ['search_documents', 'executed', 'ok', 0],
      ['calculator', 'executed', 'ok', 0],
    ]);
    expect(audit.at(-1)!.arguments).toEqual({ expression: '2480 * 17.5 / 100' });
  });

  it('serves the profile named by ?agent=, and refuses (and audits) a tool outside it', async () => {
    const sub = 'mcp-profile';
    const put = await t.as('mcp-admin', '/admin/agents/mcp-calc', {
      role: 'admin',
      ...postJson({ system_prompt: 'Arithmetic only.', tools: ['calculator'] }),
      method: 'PUT',
    });
    await readBody(put, putAgentProfileRoute, 201);
    const client = await connect(sub, { agent: 'mcp-calc' });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['calculator']);
    expect(
      (await client.callTool({ name: 'calculator', arguments: { expression: '6*7' } })).structuredContent,
    ).toEqual({ expression: '6*7', result: 42 });
    const refused = await client.callTool({ name: 'usage_summary', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(/^not_allowed: The tool "usage_summary" is not available/);
    await client.close();
    expect((await mcpAudit(sub)).map((a) => [a.tool, a.decision, a.status])).toEqual([
      ['usage_summary', 'blocked_allowlist', 'blocked'],
      ['calculator', 'executed', 'ok'],
    ]);
  });

  it('leaves out the tools a profile puts under approval: no run can pause over MCP', async () => {
    const put = await t.as('mcp-admin', '/admin/agents/mcp-ops', {
      role: 'admin',
      ...postJson({
        system_prompt: 'Ops.',
        tools: ['http_request', 'calculator'],
        approval_tools: ['http_request'],
      }),
      method: 'PUT',
    });
    await readBody(put, putAgentProfileRoute, 201);
    const client = await connect('mcp-approval', { agent: 'mcp-ops' });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['calculator']);
    const refused = await client.callTool({
      name: 'http_request',
      arguments: { url: `http://${apiHost}/x` },
    });
    expect(refused.isError).toBe(true);
    await client.close();
  });
});
