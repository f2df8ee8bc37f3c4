import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { answerClientErrors } from '../../src/http/client-error.ts';
import type { TestApp } from '../helpers/test-app.ts';

/**
 * The app on a real port, as src/node/main.ts serves it (with answerClientErrors), every response
 * checked against its route's contract: a broken one is answered 599 with the mismatch, which the
 * fuzz checks report like any 5xx.
 */
export async function serveChecked(t: TestApp) {
  const fetch = async (request: Request) => {
    const response = await t.app.fetch(request);
    try {
      await t.checkResponse(request, response);
      return response;
    } catch (error) {
      return new Response(`contract broken: ${String(error)}`, { status: 599 });
    }
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  answerClientErrors(server);
  return {
    origin: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
