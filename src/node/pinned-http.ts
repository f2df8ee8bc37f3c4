import { promises as dns, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress, parseIpLiteral } from '../agents/tools/http/address-policy.ts';
import type { OutboundHttp, OutboundRequest, OutboundResponse } from '../agents/tools/http/outbound-http.ts';
import { ToolError } from '../agents/tools/tool-error.ts';

interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: Lookup = async (hostname) => {
  const answers: LookupAddress[] = await dns.lookup(hostname, { all: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/**
 * The http_request transport on Node: resolves the host name once, refuses it when any address
 * it resolves to is private (unless the allowlist named the host as an IP literal), then connects
 * to the address it checked. The socket's own lookup returns that address, so a DNS answer that
 * changes between the check and the connection (DNS rebinding) cannot move it. TLS still verifies
 * the certificate against the host name (SNI and Host header keep the name). No connection pool:
 * a pooled socket would outlive the check it was made under.
 */
export function createPinnedHttp(options: { lookup?: Lookup } = {}): OutboundHttp {
  const lookup = options.lookup ?? systemLookup;
  return async (request) => {
    const { url } = request;
    const literal = parseIpLiteral(url.hostname);
    let target: ResolvedAddress;
    if (literal) {
      if (!request.allowPrivateAddress && isPrivateAddress(literal.address)) {
        throw new ToolError('not_allowed', `${url.hostname} is a private address`);
      }
      target = literal;
    } else {
      const addresses = await untilAborted(lookup(url.hostname), request.signal).catch((error: unknown) => {
        if (request.signal.aborted) throw error;
        throw new ToolError('failed', `could not resolve ${url.hostname}`);
      });
      const [first] = addresses;
      if (!first) throw new ToolError('failed', `could not resolve ${url.hostname}`);
      if (!request.allowPrivateAddress && addresses.some(({ address }) => isPrivateAddress(address))) {
        throw new ToolError('not_allowed', `${url.hostname} resolves to a private address`);
      }
      target = first;
    }
    return send(request, target, literal === undefined);
  };
}

function send(request: OutboundRequest, target: ResolvedAddress, byName: boolean): Promise<OutboundResponse> {
  const { url } = request;
  // Answers the socket's resolution with the checked address, in either shape net asks for.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const headers: Record<string, string> = { ...request.headers, host: url.host };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = client.request({
      protocol: url.protocol,
      // A name keeps the name (TLS verification, SNI) and resolves through `pinned`; an IP literal
      // is connected to as is.
      hostname: byName ? url.hostname : target.address,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers,
      agent: false,
      lookup: pinned,
      ...(byName && url.protocol === 'https:' ? { servername: url.hostname } : {}),
      signal: request.signal,
    });
    req.on('error', reject);
    req.on('response', (res) => readCapped(res, request.maxBytes).then(resolve, reject));
    req.end(request.body);
  });
}

/** Reads at most `maxBytes` of the response body, then destroys the socket. */
function readCapped(res: IncomingMessage, maxBytes: number): Promise<OutboundResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (truncated: boolean) => {
      res.removeAllListeners('data');
      resolve({
        status: res.statusCode ?? 0,
        headers,
        body: new Uint8Array(Buffer.concat(chunks, size)),
        truncated,
      });
    };
    res.on('data', (chunk: Buffer) => {
      const room = maxBytes - size;
      if (chunk.byteLength > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        done(true);
        res.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.byteLength;
    });
    res.on('end', () => done(false));
    res.on('error', reject);
  });
}

/** Settles with the promise, or rejects with the signal's reason once it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
