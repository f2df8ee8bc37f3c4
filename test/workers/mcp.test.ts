import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import { describe, expect, it } from 'vitest';
import { connectMcp, resultText } from '../helpers/mcp-client.ts';
import { call } from './worker-client.ts';
import { workerToken } from './worker-token.ts';

// The SDK's client, its requests handed to the Worker's fetch handler (each response checked as
// every other); the client validates results with @cfworker/json-schema, as Ajv cannot run here.
const toWorker = (url: string | URL, init?: RequestInit) => {
  const { pathname, search } = new URL(url);
  return call(`${pathname}${search}`, init);
};

describe('agent tools over MCP inside workerd', () => {
  it('lists the tools and calls one, with a structured result', async () => {
    const client = await connectMcp('http://cairn.test', await workerToken('wmcp-calc'), {
      fetch: toWorker,
      validator: new CfWorkerJsonSchemaValidator(),
    });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual([
      'search_documents',
      'calculator',
      'http_request',
      'usage_summary',
      'document_info',
    ]);
    const result = await client.callTool({
      name: 'calculator',
      arguments: { expression: '2480 * 17.5 / 100' },
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ expression: '2480 * 17.5 / 100', result: 434 });
    const invalid = await client.callTool({ name: 'calculator', arguments: { expr: '1' } });
    expect(invalid.isError).toBe(true);
    expect(resultText(invalid)).toMatch(/^invalid_arguments: /);
    await client.close();
  });
});
