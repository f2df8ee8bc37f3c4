import http from 'node:http';
import type { Socket } from 'node:net';
import type { FuzzRequest } from './request-arbitrary.ts';

/** What came back: the status, headers and body (read to its end, streams included). */
export interface FuzzAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

// Keeps a few connections open across requests, as a client library would.
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

// The server may answer before reading a whole body (413, 401) and close the connection while the
// rest is still being written. Once the answer has come, Node detaches the request from the socket,
// and the socket's late EPIPE would be an uncaught exception in the test process.
const guardedSockets = new WeakSet<object>();
const ignoreLateErrors = (socket: Socket) => {
  if (guardedSockets.has(socket)) return;
  guardedSockets.add(socket);
  socket.on('error', () => {});
};

/**
 * Sends `request` over HTTP/1.1 byte for byte (node:http does not normalise the path) and reads
 * the whole answer; rejects when no complete answer arrives within `budgetMs`. A short
 * Content-Length goes out on its own connection, since what follows it corrupts the stream.
 */
export async function sendRequest(origin: URL, request: FuzzRequest, budgetMs: number): Promise<FuzzAnswer> {
  try {
    return await sendOnce(origin, request, budgetMs, !request.shortContentLength);
  } catch (error) {
    // A kept-alive connection the server closed (after an answer it gave without reading the whole
    // body) fails the next request written to it: Node's documented case for one retry on a new one.
    if (!(error instanceof StaleConnection)) throw error;
    return sendOnce(origin, request, budgetMs, false);
  }
}

class StaleConnection extends Error {}

function sendOnce(
  origin: URL,
  request: FuzzRequest,
  budgetMs: number,
  keepAlive: boolean,
): Promise<FuzzAnswer> {
  const started = performance.now();
  const body = request.body;
  const headers: Record<string, string | number> = { ...request.headers };
  if (body !== undefined) {
    headers['content-length'] = request.shortContentLength ? Math.floor(body.length / 2) : body.length;
  }
  return new Promise<FuzzAnswer>((resolve, reject) => {
    const req = http.request(
      {
        host: origin.hostname,
        port: origin.port,
        method: request.method,
        path: request.target,
        headers,
        agent: keepAlive ? agent : false,
        signal: AbortSignal.timeout(budgetMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('socket', ignoreLateErrors);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') reject(new Error(`no complete answer within ${budgetMs} ms`));
      else if (req.reusedSocket && error.code === 'ECONNRESET') reject(new StaleConnection(error.message));
      else reject(new Error(`the connection failed: ${error.message}`, { cause: error }));
    });
    req.end(body);
  });
}

export const closeConnections = () => agent.destroy();
