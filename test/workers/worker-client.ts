import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { Role } from '../../src/auth/principal.ts';
import { routers } from '../../src/routes.ts';
import worker from '../../workers/api.ts';
import type { Env } from '../../workers/env.ts';
import { createResponseChecker } from '../helpers/response-schemas.ts';
import { workerToken } from './worker-token.ts';

export { postJson } from '../helpers/json-request.ts';

// The same routers the Worker mounts: every response is checked against its route's contract.
const checkResponse = createResponseChecker(() =>
  routers.flatMap((router) => router.openAPIRegistry.definitions),
);

// Statuses whose responses carry no body (Response rejects one, even empty).
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Sends a request to the Worker's fetch handler with its own execution context, reads the whole
 * body (SSE included), and waits for the work it handed to waitUntil (usage events), so requests
 * never overlap on the test database. The response is checked against the OpenAPI contract of the
 * route that answered it (test/helpers/response-schemas.ts) and returned with its body buffered.
 */
export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const request = new Request(`http://cairn.test${path}`, init) as Request<
    unknown,
    IncomingRequestCfProperties
  >;
  const ctx = createExecutionContext();
  const answered = await worker.fetch(request, env as unknown as Env, ctx);
  const body = await answered.arrayBuffer();
  await waitOnExecutionContext(ctx);
  const response = new Response(NULL_BODY_STATUSES.has(answered.status) ? null : body, {
    status: answered.status,
    statusText: answered.statusText,
    headers: answered.headers,
  });
  await checkResponse(request, response);
  return response;
}

/** `call` with a bearer token for `sub` (role `user` unless given). */
export async function as(
  sub: string,
  path: string,
  init: RequestInit & { role?: Role } = {},
): Promise<Response> {
  const { role, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('Authorization', `Bearer ${await workerToken(sub, role)}`);
  return call(path, { ...rest, headers });
}
