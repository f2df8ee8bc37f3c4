import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import { agentNameSchema } from '../agents/agents.schemas.ts';
import { DEFAULT_PROFILE_NAME } from '../agents/profiles/agent-profile.ts';
import { validationFailed } from '../errors.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import { callMeta } from '../http/call-meta.ts';
import { createMcpServer } from './mcp-server.ts';
import { resolveMcpAgent } from './mcp-tools.ts';

/** A JSON-RPC error answered before the MCP server sees the message (as the SDK's transport words them). */
const jsonRpcError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

/**
 * GET (a standalone SSE stream) and DELETE (ending a session) have no meaning on a stateless
 * endpoint: 405, which MCP clients expect from a server without server-initiated messages.
 */
export const mcpMethodNotAllowed = () =>
  jsonRpcError(405, -32000, 'Method not allowed: this MCP endpoint is stateless; send JSON-RPC with POST.', {
    Allow: 'POST',
  });

function agentName(c: Context<AuthedEnv>): string {
  const parsed = agentNameSchema.safeParse(c.req.query('agent') ?? DEFAULT_PROFILE_NAME);
  if (parsed.success) return parsed.data;
  throw validationFailed('The agent name is invalid.', [
    { pointer: '/query/agent', detail: parsed.error.issues[0]?.message ?? 'invalid agent name' },
  ]);
}

/**
 * POST /mcp: one JSON-RPC message, handled by a fresh MCP server and transport (stateless, JSON
 * responses). Batches are refused: each request is one message under the route's guards.
 */
export async function mcpHandler(c: Context<AuthedEnv>): Promise<Response> {
  const deps = c.get('deps');
  const principal = c.get('principal');
  const agent = await resolveMcpAgent(deps, { name: agentName(c), role: principal.role });
  let message: unknown;
  try {
    message = JSON.parse(await c.req.text());
  } catch {
    return jsonRpcError(400, -32700, 'Parse error: Invalid JSON');
  }
  if (Array.isArray(message)) return jsonRpcError(400, -32600, 'Invalid Request: batches are not supported');
  const caller = { userId: principal.userId, role: principal.role, meta: callMeta(c, '/mcp') };
  const server = createMcpServer(deps, agent, caller, c.req.raw.signal);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  transport.onerror = (error) => c.get('logger').debug('mcp request refused', { err: error });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw, { parsedBody: message });
  } finally {
    await server.close();
  }
}
