import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

/**
 * Connects the MCP SDK's own client to cairn's `/mcp` (Streamable HTTP) with a bearer token,
 * optionally for a named agent profile; `fetch` routes the requests elsewhere (into workerd).
 */
export async function connectMcp(
  baseUrl: string,
  token: string,
  options: { agent?: string; fetch?: FetchLike; validator?: jsonSchemaValidator } = {},
): Promise<Client> {
  const url = new URL('/mcp', baseUrl);
  if (options.agent !== undefined) url.searchParams.set('agent', options.agent);
  const client = new Client(
    { name: 'cairn-test', version: '1.0.0' },
    options.validator ? { jsonSchemaValidator: options.validator } : {},
  );
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await client.connect(transport);
  return client;
}

/** The text of a tool result's first content block. */
export const resultText = (result: unknown): string =>
  (result as { content?: { text?: string }[] }).content?.[0]?.text ?? '';
