import { ToolError } from '../tool-error.ts';
import { isPrivateAddress, parseIpLiteral } from './address-policy.ts';
import type { OutboundHttp, OutboundResponse } from './outbound-http.ts';

/**
 * The http_request transport on the platform's `fetch` (Workers). It refuses hosts that are
 * private IP literals; names are resolved by the platform, which is what we cannot pin here:
 * on Workers, outbound requests leave through Cloudflare's network, which does not route to the
 * account's private networks (the Node transport, src/node/pinned-http.ts, checks resolved
 * addresses itself). Redirects are returned, never followed.
 */
export const fetchTransport: OutboundHttp = async (request) => {
  const literal = parseIpLiteral(request.url.hostname);
  if (literal && !request.allowPrivateAddress && isPrivateAddress(literal.address)) {
    throw new ToolError('not_allowed', `${request.url.hostname} is a private address`);
  }
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: 'manual',
    signal: request.signal,
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return { status: response.status, headers, ...(await readCapped(response.body, request.maxBytes)) };
};

/** Reads at most `maxBytes` of the stream, then cancels it: the rest is never downloaded. */
async function readCapped(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Pick<OutboundResponse, 'body' | 'truncated'>> {
  if (!stream) return { body: new Uint8Array(0), truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - size;
      if (value.byteLength > room) {
        chunks.push(value.subarray(0, room));
        size += room;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, truncated };
}
