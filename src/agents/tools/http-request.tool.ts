import { z } from 'zod';
import { type AllowedHost, matchAllowedHost } from './http/allowed-hosts.ts';
import type { OutboundHttp, OutboundResponse } from './http/outbound-http.ts';
import { defineTool, type ToolContext } from './tool.ts';
import { ToolError } from './tool-error.ts';

const MAX_URL_LENGTH = 2048;
// The JSON body the model may send; the model's own arguments are bounded too (AGENT_MAX_INPUT_CHARS).
const MAX_REQUEST_BODY_BYTES = 65_536;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const REQUEST_HEADERS = {
  accept: 'application/json, text/*;q=0.9',
  'accept-encoding': 'identity',
  'user-agent': 'cairn-agent',
};

const input = z
  .strictObject({
    url: z
      .string()
      .max(MAX_URL_LENGTH)
      .refine((value) => httpUrl(value) !== undefined, 'must be an absolute http:// or https:// URL')
      .describe('Absolute http(s) URL on one of the hosts the operator allows'),
    method: z.enum(['GET', 'POST']).default('GET').describe('GET (default) or POST'),
    json: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('JSON object sent as the request body (POST only)'),
  })
  .refine((value) => value.json === undefined || value.method === 'POST', {
    message: 'json is only allowed with method POST',
    path: ['json'],
  });

/**
 * One HTTP request to an operator-allowed host (AGENT_HTTP_ALLOWED_HOSTS). The tool follows
 * redirects itself, checking every hop against the allowlist; the transport (`deps.outboundHttp`)
 * enforces the address policy, capped reads and the deadline.
 */
export const httpRequestTool = defineTool({
  name: 'http_request',
  description:
    'Send a GET or POST (with a JSON body) to a web API on a host the operator allows, and get back the status, the content type and the body (parsed JSON, or text). No custom headers; binary responses are refused.',
  input,
  output: z.object({
    status: z.number().int(),
    url: z.string(),
    content_type: z.string(),
    body: z.unknown(),
    truncated: z.boolean(),
  }),
  timeoutMs: 10_000,
  sideEffects: true,
  role: 'user',
  async execute(args, context) {
    const { config, outboundHttp } = context.deps;
    const allowed = config.AGENT_HTTP_ALLOWED_HOSTS ?? [];
    if (allowed.length === 0) {
      throw new ToolError(
        'not_allowed',
        'no hosts are allowed for http_request (AGENT_HTTP_ALLOWED_HOSTS is empty)',
      );
    }
    let url = httpUrl(args.url);
    if (!url) throw new ToolError('invalid_arguments', 'url must be an absolute http:// or https:// URL');
    if (args.json !== undefined && args.method !== 'POST') {
      throw new ToolError('invalid_arguments', 'json is only allowed with method POST');
    }
    let method = args.method;
    let body = args.json === undefined ? undefined : JSON.stringify(args.json);
    if (body !== undefined && new TextEncoder().encode(body).byteLength > MAX_REQUEST_BODY_BYTES) {
      throw new ToolError('too_large', `the JSON body is over ${MAX_REQUEST_BODY_BYTES} bytes`);
    }
    for (let redirects = 0; ; redirects++) {
      const entry = checkUrl(url, allowed);
      const response = await exchange(outboundHttp, context, {
        url,
        method,
        headers:
          body === undefined ? REQUEST_HEADERS : { ...REQUEST_HEADERS, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body }),
        maxBytes: config.AGENT_HTTP_MAX_RESPONSE_BYTES,
        allowPrivateAddress: entry.ipLiteral,
      });
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return toResult(url, response);
      if (redirects >= config.AGENT_HTTP_MAX_REDIRECTS) {
        throw new ToolError(
          'failed',
          `too many redirects (at most ${config.AGENT_HTTP_MAX_REDIRECTS} are followed)`,
        );
      }
      const next = redirectTarget(url, location);
      // As fetch does: 303 always, and 301/302 after a POST, continue as a GET without the body.
      if (response.status === 303 || (response.status <= 302 && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  },
});

/** The URL when it is absolute http(s); undefined otherwise. */
function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The allowlist entry for this URL, or the refusal the model sees. Runs for every hop. */
function checkUrl(url: URL, allowed: readonly AllowedHost[]): AllowedHost {
  if (url.username !== '' || url.password !== '') {
    throw new ToolError('not_allowed', 'credentials in the URL are not allowed');
  }
  const entry = matchAllowedHost(url, allowed);
  if (!entry) throw new ToolError('not_allowed', `${url.host} is not an allowed host`);
  return entry;
}

function redirectTarget(from: URL, location: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new ToolError('failed', 'the redirect location is not a valid URL');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new ToolError('not_allowed', `redirect to a ${next.protocol} URL refused`);
  }
  if (from.protocol === 'https:' && next.protocol === 'http:') {
    throw new ToolError('not_allowed', 'redirect from https to http refused');
  }
  return next;
}

/** One request through the transport; its failures become errors the model can act on. */
async function exchange(
  transport: OutboundHttp,
  context: ToolContext,
  request: Omit<Parameters<OutboundHttp>[0], 'signal'>,
): Promise<OutboundResponse> {
  try {
    return await transport({ ...request, signal: context.signal });
  } catch (error) {
    if (error instanceof ToolError) throw error;
    if (context.signal.aborted) {
      throw new ToolError('timeout', `the request to ${request.url.host} did not complete in time`);
    }
    throw new ToolError('failed', `the request to ${request.url.host} failed${errorCode(error)}`);
  }
}

/** A system error code (ECONNREFUSED...) when there is one: useful to the model, never secret. */
function errorCode(error: unknown): string {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 3; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return ` (${code})`;
    cause = cause.cause;
  }
  return '';
}

function toResult(url: URL, response: OutboundResponse) {
  const contentType = response.headers['content-type'] ?? '';
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const json = mediaType === 'application/json' || mediaType.endsWith('+json');
  const result = {
    status: response.status,
    url: url.href,
    content_type: contentType,
    truncated: response.truncated,
  };
  if (response.body.byteLength === 0) return { ...result, body: '' };
  if (!json && !mediaType.startsWith('text/')) {
    throw new ToolError(
      'failed',
      `unsupported content type ${mediaType || '(none)'}: only text and JSON are read`,
    );
  }
  // `stream` leaves out a multi-byte character cut by the size cap instead of mangling it.
  const text = new TextDecoder('utf-8').decode(response.body, { stream: response.truncated });
  if (text.includes('\u0000')) throw new ToolError('failed', 'the response body is not text');
  if (json && !response.truncated) {
    try {
      return { ...result, body: JSON.parse(text) as unknown };
    } catch {
      // Not JSON after all: the text is still useful.
    }
  }
  return { ...result, body: text };
}
