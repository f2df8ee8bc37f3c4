import type { StoredResponse } from './idempotency-store.ts';

// Headers about this transfer, this request or this caller's quota, not about the result:
// a replay gets fresh ones.
const perRequestHeaders = new Set([
  'connection',
  'content-length',
  'date',
  'idempotent-replayed',
  'keep-alive',
  'ratelimit',
  'ratelimit-policy',
  'set-cookie',
  'transfer-encoding',
  'x-request-id',
]);

export function storableHeaders(headers: Headers): [string, string][] {
  const kept: [string, string][] = [];
  for (const [name, value] of headers) if (!perRequestHeaders.has(name)) kept.push([name, value]);
  return kept;
}

/**
 * Outcomes a retry should be allowed to redo: server errors, and 429 (a quota that will
 * reset). Everything else, 4xx included, is the answer to this request and is replayed.
 */
export function releasesKey(status: number): boolean {
  return status >= 500 || status === 429;
}

export function replayHeaders(response: StoredResponse): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  headers['Idempotent-Replayed'] = 'true';
  return headers;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Passes a streamed body through unchanged while keeping a copy. `onEnd` runs once: with the
 * whole body when the stream completes (before the client sees the end, so the stored
 * copy exists when it does), or with undefined when the stream failed, was cancelled by
 * the client, or grew past `maxBytes`.
 */
export function copyWhileStreaming(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  onEnd: (bytes: Uint8Array | undefined) => Promise<void>,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let chunks: Uint8Array[] | undefined = [];
  let size = 0;
  let ended = false;
  const end = (bytes: Uint8Array | undefined) => {
    if (ended) return Promise.resolve();
    ended = true;
    return onEnd(bytes);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        await end(undefined);
        controller.error(error);
        return;
      }
      if (next.done) {
        await end(chunks && concat(chunks, size));
        controller.close();
        return;
      }
      size += next.value.byteLength;
      if (chunks && size <= maxBytes) chunks.push(next.value);
      else chunks = undefined;
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      await end(undefined);
      await reader.cancel(reason);
    },
  });
}
