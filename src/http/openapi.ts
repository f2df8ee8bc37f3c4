import { OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { PROBLEM_CONTENT_TYPE, problemSchema } from './problem.ts';

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/** A JSON response of a route contract. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** Error responses shared by every route; spread into each createRoute's `responses`. */
export const errorResponses = {
  400: problem('Malformed request or invalid fields'),
  500: problem('Unexpected server error'),
} as const;

/** Error responses of routes behind authentication (which stores the caller, so needs the database). */
export const authErrorResponses = {
  ...errorResponses,
  401: problem('Missing, malformed, expired or otherwise invalid bearer token'),
  403: problem('The caller lacks the required role'),
  503: problem('The database cannot be reached (database-unavailable); retry after Retry-After'),
} as const;

export const problemResponses = {
  404: problem('Not found, or not visible to the caller'),
  409: problem('Conflict with the current state'),
  413: problem('Request body too large'),
  415: problem('Unsupported Content-Type'),
  422: problem('Semantically invalid request'),
  429: problem(
    "Rate limit exceeded, too many of the caller's requests in progress, or a usage quota of the plan exhausted (usage-quota-exhausted: quota, limit, used, resets_at); retry after Retry-After",
  ),
  502: problem('The model provider failed'),
  503: problem(
    'A dependency is unavailable (the database, the model provider at its in-flight limit or breaker open); retry after Retry-After',
  ),
} as const;

// --- Server-Sent Events ------------------------------------------------------------------------

/** One Server-Sent Event of a stream: its `event` name and the JSON its `data` line carries. */
export const sseEvent = <T extends z.ZodType>(event: string, data: T, description: string) =>
  z.object({ event: z.literal(event), data }).openapi({ description });

/**
 * A `text/event-stream` response body: the events a stream sends, in order, each one SSE frame
 * (`event: <event>` and `data: <JSON>`). Registered as the component `name`.
 */
export const sseContent = (
  name: string,
  events: readonly [z.ZodType, z.ZodType, ...z.ZodType[]],
  description: string,
) => ({
  'text/event-stream': {
    schema: z.array(z.union(events)).openapi(name, {
      description: `${description} Each item is one SSE frame: its \`event\` line (absent where the item has no \`event\`) and its \`data\` line, the JSON shown.`,
    }),
  },
});

// --- What the guards add to a route's contract ---------------------------------------------------

/**
 * What `guarded()` (src/guards/guarded.middleware.ts) puts on a route for its documentation, under
 * the `guardDocs` key: the document derives the guards' headers, parameters and answers from it.
 */
export interface GuardDocs {
  role?: string;
  idempotent: boolean;
  /** `usage`: the plan's model quotas; `storage`: documents and stored bytes. */
  quota?: 'usage' | 'storage';
  /** The route raises the body limit above BODY_LIMIT_BYTES. */
  ownBodyLimit: boolean;
}

export const guardDocs: unique symbol = Symbol('cairn.guardDocs');

// Probes the anonymous limiter leaves alone (src/guards/rate-limit/anonymous-rate-limit.middleware.ts).
const UNLIMITED_PATHS = new Set(['/health', '/ready']);

const ref = (kind: 'headers' | 'parameters', name: string) => ({ $ref: `#/components/${kind}/${name}` });

const headerComponents = {
  'X-Request-Id': {
    description: 'The request id: the caller’s X-Request-Id when sane, else generated; in every log line',
    schema: { type: 'string' as const, maxLength: 128 },
    example: '0b9c6f2e-4a57-4f4e-9d0c-3b1f0f1c2a77',
  },
  RateLimit: {
    description:
      'Remaining requests and seconds to reset per policy (IETF draft-ietf-httpapi-ratelimit-headers, structured field), when a rate limit applied to the request',
    schema: { type: 'string' as const },
    example: '"model-1s";r=9;t=1, "model-1m";r=299;t=42',
  },
  'RateLimit-Policy': {
    description: 'The policies that apply: quota `q` per window `w` seconds (RATE_LIMIT_POLICIES)',
    schema: { type: 'string' as const },
    example: '"model-1s";q=10;w=1, "model-1m";q=300;w=60',
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer' as const, minimum: 0 },
    example: 1,
  },
  'Idempotent-Replayed': {
    description:
      'Present (`true`) when the response is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string' as const, enum: ['true'] },
  },
};

const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the first response to a key is stored (per caller and route) and replayed with `Idempotent-Replayed: true`; the same key with a different body is 422, a key still being processed 409.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  example: '3f1c1d2e-8a4b-4f0e-9b1a-7c2d5e6f8a90',
} as const;

type Responses = RouteConfig['responses'];
type HeaderRefs = Record<string, { $ref: string }>;
type ResponseEntry = Responses[string];

// The shared, generic answers above; a route that spreads them gets the guards' precise ones instead.
const genericResponses = new Set<unknown>([
  ...Object.values(errorResponses),
  ...Object.values(authErrorResponses),
  ...Object.values(problemResponses),
]);

const withHeaders = (response: ResponseEntry, headers: HeaderRefs): ResponseEntry => {
  if ('$ref' in response) return response;
  const own = response.headers && !(response.headers instanceof z.ZodType) ? response.headers : {};
  return { ...response, headers: { ...headers, ...own } };
};

/** The answers the app and the route's guards can give, in the shape of the route's own errors. */
function derivedResponses(route: RouteConfig, docs: GuardDocs | undefined): Record<string, ResponseEntry> {
  const own = route.responses[400];
  const content = own && !('$ref' in own) && own.content ? own.content : problem('').content;
  const error = (description: string, headers?: HeaderRefs) => ({
    description,
    content,
    ...(headers ? { headers } : {}),
  });
  const retry = { 'Retry-After': ref('headers', 'Retry-After') };
  const out: Record<string, ResponseEntry> = {};
  if (!UNLIMITED_PATHS.has(route.path)) {
    out[429] = error(
      'Rate limit exceeded (quota-exceeded, with `violated-policies`): per client address before authentication',
      retry,
    );
  }
  if (!docs) return out;
  const hasBody = route.request?.body !== undefined;
  if (hasBody) {
    out[413] = error(
      docs.ownBodyLimit
        ? 'Request body larger than this route’s own limit (payload-too-large)'
        : 'Request body larger than BODY_LIMIT_BYTES (payload-too-large)',
    );
    out[415] = error(
      'The request body’s Content-Type is not one this route accepts (unsupported-media-type)',
    );
  }
  out[401] = error('Missing, malformed, expired or revoked bearer token or API key (unauthorized)');
  out[403] = error(
    docs.role
      ? `The caller lacks the \`${docs.role}\` role this operation requires, the account is disabled, or the API key lacks the scope (forbidden)`
      : 'The account is disabled, or the API key lacks the scope of this route (forbidden)',
  );
  const quota =
    docs.quota === 'usage'
      ? ', or a usage quota of the plan exhausted (usage-quota-exhausted: quota, limit, used, resets_at)'
      : docs.quota === 'storage'
        ? ', or the plan’s documents or stored bytes exhausted (usage-quota-exhausted)'
        : '';
  out[429] = error(
    `Rate limit of the route class exceeded (quota-exceeded, with \`violated-policies\`), too many of the caller's requests in progress (MAX_INFLIGHT_PER_USER)${quota}; retry after Retry-After`,
    retry,
  );
  out[503] = error(
    'The database or a guard store is unavailable (database-unavailable, service-unavailable); retry after Retry-After',
    retry,
  );
  if (docs.idempotent) {
    out[409] = error(
      'A request with this Idempotency-Key is still being processed (idempotency-key-in-use); retry after Retry-After to get its result',
      retry,
    );
    out[422] = error(
      'This Idempotency-Key was already used with a different request (idempotency-key-mismatch)',
    );
  }
  return out;
}

/**
 * The route as the document shows it: public routes say `security: []`; guarded ones name their
 * role (`x-cairn-role`), take `Idempotency-Key` where honoured, and answer what their guards can
 * answer (401/403/503, 413/415 with a body, 409/422 when idempotent, 429 with Retry-After); every
 * response carries X-Request-Id, and the rate-limited ones RateLimit and RateLimit-Policy.
 */
function documentRoute(route: RouteConfig & { [guardDocs]?: GuardDocs }): RouteConfig {
  const { [guardDocs]: docs, ...config } = route;
  const derived = derivedResponses(config, docs);
  const responses: Record<string, ResponseEntry> = {};
  for (const [status, response] of Object.entries(config.responses)) {
    const guard = derived[status];
    if (!guard || !genericResponses.has(response) || '$ref' in response || '$ref' in guard) {
      responses[status] = response;
      continue;
    }
    // These statuses also have causes of the route's own (a conflict, an unusable input, the model provider).
    const also = ['409', '422', '503'].includes(status) ? ` Also: ${response.description}` : '';
    responses[status] = { ...guard, description: `${guard.description}.${also}` };
  }
  for (const [status, response] of Object.entries(derived)) responses[status] ??= response;

  const headers: HeaderRefs = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
  if (!UNLIMITED_PATHS.has(config.path)) {
    headers.RateLimit = ref('headers', 'RateLimit');
    headers['RateLimit-Policy'] = ref('headers', 'RateLimit-Policy');
  }
  for (const [status, response] of Object.entries(responses)) {
    const replayed = docs?.idempotent && status.startsWith('2');
    // Every 429 comes from a limiter or a quota, which always say when to retry.
    const retry = status === '429';
    responses[status] = withHeaders(response, {
      ...headers,
      ...(replayed ? { 'Idempotent-Replayed': ref('headers', 'Idempotent-Replayed') } : {}),
      ...(retry ? { 'Retry-After': ref('headers', 'Retry-After') } : {}),
    });
  }
  const ordered = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));

  const role = docs?.role ? `Requires the \`${docs.role}\` role (403 otherwise).` : undefined;
  return {
    ...config,
    ...(config.security ? {} : { security: [] }),
    ...(role ? { description: config.description ? `${role} ${config.description}` : role } : {}),
    ...(docs?.idempotent
      ? {
          parameters: [
            ...(config.parameters ?? []),
            ref('parameters', 'IdempotencyKey'),
          ] as RouteConfig['parameters'],
        }
      : {}),
    responses: ordered,
  };
}

const servers = [{ url: '/', description: 'The server that serves this document' }];

/**
 * The OpenAPI 3.1 document of every route registered on `app`, with what the guards add
 * (`documentRoute`); served at /openapi.json and written to docs/openapi.json by `npm run openapi`.
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>, version: string) {
  const document = new OpenAPIHono();
  const registry = document.openAPIRegistry;
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type === 'route') registry.registerPath(documentRoute(definition.route));
    else if (definition.type === 'component')
      registry.registerComponent(definition.componentType, definition.name, definition.component);
  }
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A JWT (HS256 with JWT_SECRET or JWT_SECRET_PREVIOUS, or RS/ES keys from JWT_JWKS_URL; `sub` is the user id, `role` is user or admin), or an API key (`cairn_sk_...`, from POST /me/api-keys) acting as its owner within its scopes.',
  });
  for (const [name, header] of Object.entries(headerComponents))
    registry.registerComponent('headers', name, header);
  registry.registerComponent('parameters', 'IdempotencyKey', idempotencyKeyParameter);
  return document.getOpenAPI31Document({ ...openApiInfo(version), servers });
}

/** Serves the OpenAPI 3.1 document at /openapi.json. */
export function registerOpenApi(app: OpenAPIHono<AppEnv>, version: string): void {
  app.get('/openapi.json', (c) => c.json(openApiDocument(app, version)));
}

function openApiInfo(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'cairn',
      version,
      description:
        "Edge-first AI backend: a structured LLM gateway (/analyze, and an OpenAI-compatible /v1) and RAG on Postgres + pgvector (documents, search, grounded chat). Errors are RFC 9457 problem+json; under /v1 they take OpenAI's error shape. Every response carries X-Request-Id; rate-limited ones RateLimit and RateLimit-Policy; POST routes that do work honour Idempotency-Key.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
  };
}
