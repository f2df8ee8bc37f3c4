import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { answerClientErrors } from '../../src/http/client-error.ts';
import { nodeServerOptions } from '../../src/node/coalesced-headers.ts';
import type { TestApp } from './test-app.ts';

/**
 * Serves a test app over real HTTP on a free port as src/node/server.ts does (with
 * answerClientErrors), for clients that need a URL (the openai SDK, the fuzzer). Responses are
 * checked like `t.request`'s; one that breaks its route's contract is answered with a 500 naming
 * the mismatch, and `close()` throws it, so the test file fails.
 */
export async function serveApp(t: TestApp): Promise<{ url: string; origin: URL; close(): Promise<void> }> {
  const mismatches: unknown[] = [];
  const fetch = async (request: Request) => {
    const response = await t.app.fetch(request);
    try {
      await t.checkResponse(request, response);
      return response;
    } catch (error) {
      mismatches.push(error);
      return new Response(String(error), { status: 500 });
    }
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch,
        port: 0,
        hostname: '127.0.0.1',
        serverOptions: nodeServerOptions,
      },
      () => resolve(s),
    );
  });
  answerClientErrors(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    origin: new URL(`http://127.0.0.1:${port}`),
    async close() {
      await new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      });
      if (mismatches.length > 0) throw new Error(mismatches.map(String).join('\n\n'));
    },
  };
}
