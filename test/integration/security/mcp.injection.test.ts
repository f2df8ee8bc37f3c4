import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMcp, resultText } from '../../helpers/mcp-client.ts';
import { drain, uploadText } from '../../helpers/rag.ts';
import { serveApp } from '../../helpers/serve-app.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';
import { SAMPLES } from './fake-secrets.ts';
import { INJECTED, injectionLogs, injectionMetric } from './injection-report.ts';

const POISONED = `Vacuum reclaims dead tuples. Deploy key: ${SAMPLES.aws_access_key}. ${INJECTED}`;

/** The app over a socket for the MCP SDK's client, and a search over one poisoned document. */
function mcpSearch(t: TestApp) {
  let server: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    server = await serveApp(t);
  });
  afterAll(() => server.close());
  return async (sub: string) => {
    await uploadText(t, sub, { title: 'Vacuum', content: POISONED });
    await drain(t);
    const client = await connectMcp(server.url, await t.token(sub));
    try {
      return await client.callTool({ name: 'search_documents', arguments: { query: 'vacuum dead tuples' } });
    } finally {
      await client.close();
    }
  };
}

describe('MCP tool results: secrets redacted, injection flagged', () => {
  const metric = injectionMetric();
  const t = useTestApp('pglite', { meter: metric.meter });
  const search = mcpSearch(t);

  it('returns the result with the key redacted, and logs and counts the flag under /mcp', async () => {
    const result = await search('inj-mcp-a');
    expect(result.isError).toBeFalsy();
    const text = resultText(result);
    expect(text).toContain('[redacted:aws_access_key]');
    expect(JSON.stringify(result)).not.toContain(SAMPLES.aws_access_key);
    expect(await metric.count('tool_result', '/mcp', 'flagged')).toBe(1);
    expect(injectionLogs(t, '/mcp')).toEqual([
      expect.objectContaining({ ref: expect.stringMatching(/^search_documents:mcp_/) }),
    ]);
  });
});

describe('MCP tool results with INJECTION_DETECTION=block', () => {
  const t = useTestApp('pglite', { env: { INJECTION_DETECTION: 'block' } });
  const search = mcpSearch(t);

  it('withholds a flagged result: an isError result whose text starts with withheld', async () => {
    const result = await search('inj-mcp-block');
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/^withheld: /);
    expect(JSON.stringify(result)).not.toContain('Ignore all previous');
  });
});
