import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import { MCP_AUDIT_RUN_ID } from '../../../src/mcp/mcp-tools.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { connectMcp, resultText } from '../../helpers/mcp-client.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('MCP errors on %s', (kind) => {
  const t = useTestApp(kind);
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());

  const connect = async (sub: string, agent?: string) =>
    connectMcp(server.url, await t.token(sub), agent === undefined ? {} : { agent });
  const mcpAudit = async (sub: string) =>
    (
      await readBody(
        await t.as('mcp-admin', `/admin/audit?run_id=${MCP_AUDIT_RUN_ID}&user_id=${sub}`, { role: 'admin' }),
        listAuditRoute,
        200,
      )
    ).items;
  const post = async (sub: string, body: string, path = '/mcp') =>
    t.as(sub, path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body,
    });

  it('answers invalid arguments with an isError result naming the fields, audited as blocked', async () => {
    const sub = 'mcp-invalid-args';
    const client = await connect(sub);
    const extra = await client.callTool({ name: 'calculator', arguments: { expr: '6*7' } });
    expect(extra.isError).toBe(true);
    expect(resultText(extra)).toMatch(
      /^invalid_arguments: The arguments do not match the calculator schema\./,
    );
    expect(resultText(extra)).toContain('/expression');
    const tooLong = await client.callTool({ name: 'usage_summary', arguments: { days: 9999 } });
    expect(tooLong.isError).toBe(true);
    expect(resultText(tooLong)).toContain('/days');
    await client.close();
    expect((await mcpAudit(sub)).map((a) => [a.tool, a.decision, a.status, a.error?.split(':')[0]])).toEqual([
      ['usage_summary', 'blocked_validation', 'blocked', 'invalid_arguments'],
      ['calculator', 'blocked_validation', 'blocked', 'invalid_arguments'],
    ]);
  });

  it('turns tool failures into isError results, and refuses unknown tools and delegate', async () => {
    const sub = 'mcp-failures';
    const client = await connect(sub);
    const divide = await client.callTool({ name: 'calculator', arguments: { expression: '1/0' } });
    expect(divide.isError).toBe(true);
    expect(divide.structuredContent).toBeUndefined();
    // AGENT_HTTP_ALLOWED_HOSTS is empty here: every call is refused by the tool.
    const http = await client.callTool({ name: 'http_request', arguments: { url: 'https://example.com/' } });
    expect(http.isError).toBe(true);
    expect(resultText(http)).toMatch(/^not_allowed: /);
    const unknown = await client.callTool({ name: 'shell_exec', arguments: { cmd: 'id' } });
    expect(resultText(unknown)).toMatch(/^not_allowed: The tool "shell_exec" is not available/);
    const delegate = await client.callTool({ name: 'delegate', arguments: { task: 'compute 1+1' } });
    expect(delegate.isError).toBe(true);
    await client.close();
    expect((await mcpAudit(sub)).map((a) => [a.tool, a.decision, a.status])).toEqual([
      ['delegate', 'blocked_allowlist', 'blocked'],
      ['shell_exec', 'blocked_allowlist', 'blocked'],
      ['http_request', 'executed', 'error'],
      ['calculator', 'executed', 'error'],
    ]);
  });

  it('answers an unknown profile 404 and a malformed name 400, before any MCP message', async () => {
    await expect(connect('mcp-unknown-agent', 'nobody')).rejects.toThrow(/404/);
    await expectProblem(await post('mcp-unknown-agent', '{}', '/mcp?agent=nobody'), 404);
    const bad = await expectProblem(await post('mcp-unknown-agent', '{}', '/mcp?agent=Not%20A%20Name'), 400);
    expect(bad.errors?.[0]?.pointer).toBe('/query/agent');
  });

  it('refuses GET and DELETE (stateless), batches and malformed JSON with JSON-RPC errors', async () => {
    const sub = 'mcp-protocol';
    const get = await t.as(sub, '/mcp', { headers: { Accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await t.as(sub, '/mcp', { method: 'DELETE' })).status).toBe(405);
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const batch = await post(sub, JSON.stringify([ping, { ...ping, id: 2 }]));
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({ error: { code: -32600 } });
    const garbage = await post(sub, '{"jsonrpc":');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: { code: -32700 } });
    const pong = await post(sub, JSON.stringify(ping));
    expect(pong.status).toBe(200);
    expect(await pong.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
  });
});
