import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { AuthedEnv } from '../../http/app-env.ts';
import { isStreamed } from '../../http/streamed-body.ts';
import { requestFingerprint, scopedKey } from './idempotency-key.ts';
import { claimKey, type IdempotentRequest, readKey, releaseKey, storeResponse } from './key-claim.ts';
import { copyWhileStreaming, releasesKey, replayHeaders, storableHeaders } from './stored-response.ts';

/**
 * Honours `Idempotency-Key` (docs/decisions/0002-guards.md): the first response to a key is stored and
 * replayed with `Idempotent-Replayed: true`; a different body is 422, a key still running
 * is 409 with Retry-After; 5xx and 429 release the key. Streamed responses (SSE, NDJSON)
 * are stored when the stream completes; a stream cut short releases the key.
 * Use after requireAuth and the rate limiter.
 */
export function idempotency(): MiddlewareHandler<AuthedEnv> {
  return async function idempotencyMiddleware(c, next) {
    const header = c.req.header('Idempotency-Key');
    if (header === undefined) return next();
    const principal = c.get('principal');
    const deps = c.get('deps');
    const ctx = { deps, logger: c.get('logger') };
    const key = readKey(ctx, header);

    // Read the body once for the fingerprint and hand the route a fresh request holding it.
    const body = c.req.raw.body ? new Uint8Array(await c.req.raw.arrayBuffer()) : new Uint8Array();
    if (c.req.raw.body !== null) c.req.raw = new Request(c.req.raw, { body });
    const url = new URL(c.req.url);
    // Scoped by the matched route, not the path as spelled: "/analyze/" is the same route as
    // "/analyze" (the router ignores a trailing slash), so it shares the key.
    const path = url.pathname.replace(/\/+$/, '');
    const [scoped, fingerprint] = await Promise.all([
      scopedKey({ userId: principal.userId, method: c.req.method, path: routePath(c), key }),
      requestFingerprint({
        method: c.req.method,
        pathAndQuery: path + url.search,
        contentType: c.req.header('Content-Type'),
        body,
      }),
    ]);
    const request: IdempotentRequest = { key: scoped, fingerprint, lease: crypto.randomUUID() };

    const claim = await claimKey(ctx, request);
    if (claim.kind === 'unguarded') return next();
    if (claim.kind === 'replay') {
      const { status, body: stored } = claim.response;
      const headers = replayHeaders(claim.response);
      if (stored.byteLength === 0) return c.body(null, status as StatusCode, headers);
      return c.body(new Uint8Array(stored), status as ContentfulStatusCode, headers);
    }

    try {
      await next();
    } catch (error) {
      await releaseKey(ctx, request, 'error');
      throw error;
    }
    const response = c.res;
    if (releasesKey(response.status)) return releaseKey(ctx, request, String(response.status));
    const maxBytes = deps.config.IDEMPOTENCY_MAX_RESPONSE_BYTES;
    const keep = (bytes: Uint8Array | undefined) =>
      bytes
        ? storeResponse(ctx, request, {
            status: response.status,
            headers: storableHeaders(response.headers),
            body: bytes,
          })
        : releaseKey(ctx, request, 'not-storable');
    if (!response.body) return keep(new Uint8Array());
    if (isStreamed(response.headers.get('Content-Type'))) {
      c.res = new Response(copyWhileStreaming(response.body, maxBytes, keep), response);
      return;
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    c.res = new Response(bytes, response);
    await keep(bytes.byteLength <= maxBytes ? bytes : undefined);
  };
}
