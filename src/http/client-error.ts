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

/** A whole HTTP/1.1 response, problem+json, for a request the HTTP parser refused (`code`). */
function clientErrorResponse(code: string | undefined, requestId = crypto.randomUUID()): string {
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
    body,
  ].join('\r\n');
}

/** The part of a Node HTTP server `answerClientErrors` needs (typed here: src/http imports no node:*). */
interface ClientErrorSource {
  on(
    event: 'clientError',
    listener: (
      error: Error & { code?: string },
      socket: { writable: boolean; end(data: string): void; destroy(): void },
    ) => void,
  ): unknown;
}

/**
 * Answers requests Node's parser refuses (headers over its limit, malformed HTTP) with a
 * problem+json body instead of a bare status line. Node entry: `answerClientErrors(server)`.
 */
export function answerClientErrors(server: ClientErrorSource): void {
  server.on('clientError', (error, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code));
  });
}
