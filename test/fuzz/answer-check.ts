import { openAiErrorSchema } from '../../src/gateway/v1/v1.schemas.ts';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '../../src/http/problem.ts';
import type { FuzzTarget } from './fuzz-targets.ts';
import type { FuzzRequest } from './request-arbitrary.ts';
import type { FuzzAnswer } from './send-request.ts';

const mediaType = (answer: FuzzAnswer) =>
  String(answer.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isJsonRpcError = (body: unknown) =>
  typeof body === 'object' &&
  body !== null &&
  (body as { jsonrpc?: unknown }).jsonrpc === '2.0' &&
  typeof (body as { error?: { code?: unknown } }).error?.code === 'number';

/**
 * Why a client error is not in the shape its path promises, or undefined when it is: problem+json
 * (RFC 9457) with a matching `status` everywhere; OpenAI's error JSON under /v1; a JSON-RPC error
 * or the guards' problem+json on /mcp; problem+json or an HTML page on the dashboard.
 */
function clientErrorShape(target: FuzzTarget, request: FuzzRequest, answer: FuzzAnswer): string | undefined {
  const type = mediaType(answer);
  const body = parse(answer.body);
  const path = request.target.split('?')[0] ?? '';
  // The bytes after a short Content-Length are a malformed second request: Node's parser may answer
  // it (src/http/client-error.ts, problem+json on every path) before the app answers the first.
  const parserAnswer =
    request.shortContentLength &&
    (body as { type?: unknown } | undefined)?.type === 'urn:cairn:problem:bad-request';
  if (!parserAnswer && (path === '/v1' || path.startsWith('/v1/'))) {
    return type === 'application/json' && openAiErrorSchema.safeParse(body).success
      ? undefined
      : `a /v1 error must be OpenAI's error JSON, got ${type}`;
  }
  if (target.kind === 'mcp' && type === 'application/json' && isJsonRpcError(body)) return undefined;
  if (target.kind === 'page' && type === 'text/html') return undefined;
  if (type !== PROBLEM_CONTENT_TYPE)
    return `a ${answer.status} must be ${PROBLEM_CONTENT_TYPE}, got ${type || 'no type'}`;
  const problem = problemSchema.safeParse(body);
  if (!problem.success) return 'the problem+json body does not match the Problem schema';
  if (problem.data.status !== answer.status)
    return `the problem says ${problem.data.status}, the status line ${answer.status}`;
  return undefined;
}

/** Everything wrong with an answer: a 5xx, or a 4xx not in its path's error shape. */
export function answerFaults(target: FuzzTarget, request: FuzzRequest, answer: FuzzAnswer): string[] {
  const faults: string[] = [];
  if (answer.status >= 500) faults.push(`status ${answer.status}`);
  // HEAD answers have no body to check.
  if (answer.status >= 400 && answer.status < 500 && request.method !== 'HEAD') {
    const shape = clientErrorShape(target, request, answer);
    if (shape) faults.push(shape);
  }
  return faults;
}
