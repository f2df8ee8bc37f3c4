import type { Context } from 'hono';

/** SSE and NDJSON bodies go on after the handler returns: their model calls finish while they stream. */
export function isStreamed(contentType: string | null): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  return mediaType === 'text/event-stream' || mediaType === 'application/x-ndjson';
}

// The callbacks of each body this module wrapped, so later callers join them instead of wrapping again.
const endCallbacks = new WeakMap<ReadableStream<Uint8Array>, (() => void)[]>();

/**
 * Passes `body` through unchanged and calls `done` once when it ends: read to the end, failed, or
 * cancelled by the client going away. Several callers (the in-flight slot, the request's cost
 * metric, ...) share one wrapper: a body this returned gets the new callback added, not re-wrapped.
 */
function whenBodyEnds(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const joined = endCallbacks.get(body);
  if (joined) {
    joined.push(done);
    return body;
  }
  const callbacks = [done];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    for (const callback of callbacks) callback();
  };
  const reader = body.getReader();
  const wrapped = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: finished, value } = await reader.read();
        if (finished) {
          end();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason);
    },
  });
  endCallbacks.set(wrapped, callbacks);
  return wrapped;
}

/**
 * When the response in `c` is streamed, calls `done` once its body ends and returns true; else
 * returns false (the response is complete as it is). Only the first caller replaces the response
 * (with the wrapped body): Hono rebuilds a response and copies its headers on every assignment,
 * which the ones after it skip by joining that wrapper.
 */
export function onStreamedBodyEnd(c: Context, done: () => void): boolean {
  // The content type first: reading `body` of @hono/node-server's lightweight Response turns it
  // into a full one, which then costs more to build and to write.
  if (!isStreamed(c.res.headers.get('Content-Type'))) return false;
  const body = c.res.body;
  if (!body) return false;
  const wrapped = whenBodyEnds(body, done);
  if (wrapped !== body) c.res = new Response(wrapped, c.res);
  return true;
}
