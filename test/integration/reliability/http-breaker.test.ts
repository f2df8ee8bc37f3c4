import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withHostBreakers } from '../../../src/agents/tools/http/host-breakers.ts';
import { httpRequestTool } from '../../../src/agents/tools/http-request.tool.ts';
import type { ToolContext } from '../../../src/agents/tools/tool.ts';
import { ToolError } from '../../../src/agents/tools/tool-error.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { Deps } from '../../../src/deps.ts';
import type { BreakerStateChange } from '../../../src/llm/resilience/breaker-events.ts';
import { createPinnedHttp } from '../../../src/node/pinned-http.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createTestApp, useTestDatabase } from '../../helpers/test-app.ts';

/** A host whose answers a test switches: JSON, 500, or no answer at all. */
async function startHost() {
  const state = { mode: 'ok' as 'ok' | 'fail' | 'hang' | 'missing', hits: 0 };
  const hanging = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    state.hits++;
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    const status = { ok: 200, fail: 500, missing: 404 }[state.mode];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: state.mode === 'ok' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const flaky = await startHost();
const steady = await startHost();
afterAll(async () => {
  await flaky.close();
  await steady.close();
});

describe('http_request: a circuit breaker per host', () => {
  const database = useTestDatabase('pglite');
  const changes: BreakerStateChange[] = [];
  const logs: Record<string, unknown>[] = [];
  let deps: Deps;

  beforeAll(() => {
    const env = {
      AGENT_HTTP_ALLOWED_HOSTS: `127.0.0.1:${flaky.port}, 127.0.0.1:${steady.port}`,
      AGENT_HTTP_BREAKER_THRESHOLD: '3',
      AGENT_HTTP_BREAKER_COOLDOWN_MS: '300',
    };
    const config = loadConfig(env);
    const logger = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) });
    deps = createTestApp(database, {
      env,
      override: {
        outboundHttp: withHostBreakers(createPinnedHttp(), {
          threshold: config.AGENT_HTTP_BREAKER_THRESHOLD,
          cooldownMs: config.AGENT_HTTP_BREAKER_COOLDOWN_MS,
          logger,
          onStateChange: (change) => changes.push(change),
        }),
      },
    }).deps;
  });

  const context = (timeoutMs = 5000): ToolContext => ({
    deps,
    userId: 'u',
    role: 'user',
    signal: AbortSignal.timeout(timeoutMs),
    meta: {},
  });
  const get = (port: number, timeoutMs?: number) =>
    httpRequestTool.execute(
      httpRequestTool.input.parse({ url: `http://127.0.0.1:${port}/data` }),
      context(timeoutMs),
    );

  it('opens after consecutive failures (5xx, timeouts), fails fast, then closes after a good trial call', async () => {
    flaky.state.mode = 'fail';
    // 5xx answers still reach the model, and count against the host.
    await expect(get(flaky.port)).resolves.toMatchObject({ status: 500 });
    await expect(get(flaky.port)).resolves.toMatchObject({ status: 500 });
    flaky.state.mode = 'hang';
    await expect(get(flaky.port, 200)).rejects.toMatchObject({ code: 'timeout' });
    const key = `127.0.0.1:${flaky.port}`;
    expect(changes).toEqual([{ breaker: 'http_request', key, state: 'open' }]);

    // Open: the host is not called; the model reads why.
    const hits = flaky.state.hits;
    const started = performance.now();
    const open = await get(flaky.port).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(100);
    expect(open).toBeInstanceOf(ToolError);
    expect(open).toMatchObject({ code: 'failed', message: expect.stringMatching(/^breaker open for host /) });
    expect(flaky.state.hits).toBe(hits);

    // Another host has its own breaker.
    await expect(get(steady.port)).resolves.toMatchObject({ status: 200 });

    // After the cool-down one trial call goes through; its success closes the breaker.
    flaky.state.mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(get(flaky.port)).resolves.toMatchObject({ status: 200, body: { ok: true } });
    expect(changes.map((c) => c.state)).toEqual(['open', 'half_open', 'closed']);
    expect(logs.find((l) => l.msg === 'breaker opened')).toMatchObject({
      level: 'warn',
      breaker: 'http_request',
      breaker_key: key,
    });
  });

  it('a failed trial call opens it again; 4xx answers and refused hosts never count', async () => {
    changes.length = 0;
    steady.state.mode = 'fail';
    for (let i = 0; i < 3; i++) await get(steady.port);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(get(steady.port)).resolves.toMatchObject({ status: 500 });
    expect(changes.map((c) => c.state)).toEqual(['open', 'half_open', 'open']);
    await expect(get(steady.port)).rejects.toMatchObject({ code: 'failed' });

    // 4xx answers say nothing about the host's health.
    changes.length = 0;
    flaky.state.mode = 'missing';
    for (let i = 0; i < 5; i++) await expect(get(flaky.port)).resolves.toMatchObject({ status: 404 });
    expect(changes).toEqual([]);

    // A host outside the allowlist is refused before the transport, never counted.
    for (let i = 0; i < 5; i++) {
      await expect(
        httpRequestTool.execute(httpRequestTool.input.parse({ url: 'http://127.0.0.1:1/x' }), context()),
      ).rejects.toMatchObject({ code: 'not_allowed' });
    }
    expect(changes).toEqual([]);
  });
});
