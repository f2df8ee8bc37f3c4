import { AppError } from '../errors.ts';
import { isOpenAiPath, openAiError } from '../gateway/v1/openai-error-body.ts';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.ts';

// What Node's HTTP parser refuses before the app sees a request, by its error code, with the
// statuses Node itself would answer (a bare status line otherwise).
const refusals: Record<string, { status: number; reason: string; slug: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    slug: 'header-fields-too-large',
    detail: 'The request headers are larger than this server accepts; send fewer or smaller headers.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: 'Payload Too Large',
    slug: 'payload-too-large',
    detail: 'The chunk extensions of the request body are too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    slug: 'request-timeout',
    detail: 'The request was not received in time.',
  },
};

const badRequest = {
  status: 400,
  reason: 'Bad Request',
  slug: 'bad-request',
  detail: 'The request is not valid HTTP/1.1.',
};

/**
 * A whole HTTP/1.1 response, problem+json, for a request the HTTP parser refused (`code`). The
 * answer to a HEAD request has the headers only: a client reads no body after them, so one would
 * reach it as garbage (Node's client fails the request).
 */
function clientErrorResponse(
  code: string | undefined,
  request: { head: boolean; openAi: boolean },
  requestId = crypto.randomUUID(),
): string {
  const refusal = (code && refusals[code]) || badRequest;
  const { status, slug, reason: title, detail } = refusal;
  // Under /v1 every answer takes OpenAI's error shape, these too: OpenAI's clients read no other.
  const body = JSON.stringify(
    request.openAi
      ? openAiError(new AppError({ status, slug, title, detail }))
      : problemBody({ status, slug, title, detail, requestId }),
  );
  return [
    `HTTP/1.1 ${refusal.status} ${refusal.reason}`,
    `Content-Type: ${request.openAi ? 'application/json' : PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${new TextEncoder().encode(body).byteLength}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    request.head ? '' : body,
  ].join('\r\n');
}

/**
 * The method and path of the request line in the bytes the parser refused (Node's `rawPacket`,
 * read from the request line on), when there is one.
 */
function requestLine(raw: Uint8Array | undefined): { head: boolean; openAi: boolean } {
  const line = raw ? new TextDecoder('latin1').decode(raw.subarray(0, 8192)).split('\r\n', 1)[0]! : '';
  const [, method, target] = /^([A-Z]+) (\S+)/.exec(line) ?? [];
  let path = target?.split('?', 1)[0] ?? '';
  // The absolute form (a proxy's request line) carries the path after the authority.
  if (/^https?:\/\//i.test(path)) path = path.replace(/^https?:\/\/[^/]*/i, '') || '/';
  return { head: method === 'HEAD', openAi: isOpenAiPath(path) };
}

/** The part of a Node HTTP server `answerClientErrors` needs (typed here: src/http imports no node:*). */
interface ClientErrorSource {
  on(
    event: 'clientError',
    listener: (
      error: Error & { code?: string; rawPacket?: Uint8Array },
      socket: {
        writable: boolean;
        /** The response being written on this connection, when one is (Node's own handler reads it too). */
        _httpMessage?: { headersSent?: boolean } | null;
        end(data: string): void;
        destroy(): void;
      },
    ) => void,
  ): unknown;
}

/**
 * Answers requests Node's parser refuses (headers over its limit, malformed HTTP) with a
 * problem+json body (OpenAI's error JSON under /v1) instead of a bare status line. Node entry: `answerClientErrors(server)`.
 */
export function answerClientErrors(server: ClientErrorSource): void {
  server.on('clientError', (error, socket) => {
    // A response already under way on this connection (a pipelined bad request during a stream):
    // writing an answer would splice it into that response's bytes, so the connection is closed.
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code, requestLine(error.rawPacket)));
  });
}
