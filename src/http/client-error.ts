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
  head: boolean,
  requestId = crypto.randomUUID(),
): string {
  const refusal = (code && refusals[code]) || badRequest;
  const body = JSON.stringify(
    problemBody({
      status: refusal.status,
      slug: refusal.slug,
      title: refusal.reason,
      detail: refusal.detail,
      requestId,
    }),
  );
  return [
    `HTTP/1.1 ${refusal.status} ${refusal.reason}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${new TextEncoder().encode(body).byteLength}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    head ? '' : body,
  ].join('\r\n');
}

const HEAD_REQUEST_LINE = new TextEncoder().encode('HEAD ');

/** Whether the bytes the parser refused (Node's `rawPacket`, read from the request line on) are a HEAD request's. */
const isHeadRequest = (raw: Uint8Array | undefined) =>
  raw !== undefined && HEAD_REQUEST_LINE.every((byte, i) => raw[i] === byte);

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
 * problem+json body instead of a bare status line. Node entry: `answerClientErrors(server)`.
 */
export function answerClientErrors(server: ClientErrorSource): void {
  server.on('clientError', (error, socket) => {
    // A response already under way on this connection (a pipelined bad request during a stream):
    // writing an answer would splice it into that response's bytes, so the connection is closed.
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code, isHeadRequest(error.rawPacket)));
  });
}
