import { type OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import { isOpenAiPath } from '../../src/gateway/v1/openai-error-body.ts';
import { openAiErrorSchema } from '../../src/gateway/v1/v1.schemas.ts';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '../../src/http/problem.ts';

/** What an app's (or a router's) `openAPIRegistry.definitions` holds. */
type RouteDefinitions = OpenAPIHono['openAPIRegistry']['definitions'];

interface DeclaredRoute {
  /** "POST /documents/{id}", as declared. */
  name: string;
  method: string;
  pattern: RegExp;
  responses: RouteConfig['responses'];
}

/** A response that breaks the OpenAPI contract of the route that answered it. */
class ResponseSchemaError extends Error {
  override name = 'ResponseSchemaError';
}

// Served by createApp beside the API (the OpenAPI document and its reference page), so they are
// not operations in the registry.
const DOCUMENT_ROUTES = new Set(['GET /openapi.json', 'GET /docs']);

// The admin dashboard's HTML pages and forms (src/admin/dashboard), outside the OpenAPI document:
// they answer HTML or redirects, and problem+json only when that is what the client asked for.
const DASHBOARD_PAGES = /^\/admin(?:\/login|\/logout|\/dashboard(?:\/.*)?)?\/?$/;

// The MCP endpoint (src/mcp), outside the OpenAPI document: JSON-RPC bodies (the MCP SDK checks
// them in the MCP tests), or problem+json from its guards.
const MCP_ENDPOINT = '/mcp';

// What the app answers before (or instead of) a route: unknown path, wrong method, body limit,
// the pre-auth rate limit, an unhandled error. Always problem+json.
const APP_LEVEL_STATUSES = new Set([404, 405, 413, 429, 500]);

// Bodies that are read incrementally; only their status and media type are checked.
const STREAMING_MEDIA_TYPES = new Set(['text/event-stream', 'application/x-ndjson']);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `/documents/{id}` (or Hono's `/documents/:id`) as a regular expression; the app is not strict about a trailing slash. */
const pathPattern = (path: string) =>
  new RegExp(
    `^${path
      .split('/')
      .map((segment) => (/^\{[^}]+\}$|^:/.test(segment) ? '[^/]+' : escapeRegExp(segment)))
      .join('/')}/?$`,
  );

function declaredRoutes(definitions: RouteDefinitions): DeclaredRoute[] {
  return definitions.flatMap((definition) =>
    definition.type === 'route'
      ? [
          {
            name: `${definition.route.method.toUpperCase()} ${definition.route.path}`,
            method: definition.route.method.toUpperCase(),
            pattern: pathPattern(definition.route.path),
            responses: definition.route.responses,
          },
        ]
      : [],
  );
}

const mediaTypeOf = (response: Response) =>
  response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

const snippet = (text: string) => (text.length > 600 ? `${text.slice(0, 600)}…` : text);

async function checkBody(
  label: string,
  response: Response,
  mediaType: string,
  schema: unknown,
): Promise<void> {
  if (!isJson(mediaType) || !(schema instanceof z.ZodType)) return;
  const text = await response.clone().text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ResponseSchemaError(`${label}: the ${mediaType} body is not JSON: ${snippet(text)}`);
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new ResponseSchemaError(
      `${label}: the body does not match the declared ${mediaType} schema:\n${z.prettifyError(
        result.error,
      )}\nbody: ${snippet(text)}`,
    );
  }
}

/** Problem details (OpenAI's error shape under /v1) from the app itself, on a path no declared route serves. */
// `hasBody` is false for HEAD, whose answer carries the problem's headers but never its body.
async function checkAppLevel(
  label: string,
  response: Response,
  mediaType: string,
  path: string,
  hasBody: boolean,
) {
  if (isOpenAiPath(path)) {
    if (mediaType !== 'application/json') {
      throw new ResponseSchemaError(
        `${label}: the app-level answer under /v1 is ${mediaType}, not OpenAI's JSON error`,
      );
    }
    return hasBody ? checkBody(label, response, mediaType, openAiErrorSchema) : undefined;
  }
  if (mediaType !== PROBLEM_CONTENT_TYPE) {
    throw new ResponseSchemaError(
      `${label}: no route in the OpenAPI registry serves this path, and the app-level answer is ${
        mediaType || 'bodiless'
      }, not ${PROBLEM_CONTENT_TYPE}`,
    );
  }
  if (hasBody) await checkBody(label, response, mediaType, problemSchema);
}

async function checkDeclared(label: string, route: DeclaredRoute, response: Response, method: string) {
  const { status } = response;
  const declared =
    route.responses[String(status)] ?? route.responses[`${String(status)[0]}XX`] ?? route.responses.default;
  if (!declared) {
    throw new ResponseSchemaError(
      `${label}: status ${status} is not declared by ${route.name} (declared: ${Object.keys(
        route.responses,
      ).join(', ')})`,
    );
  }
  if (method === 'HEAD' || '$ref' in declared) return;
  const mediaType = mediaTypeOf(response);
  const content = declared.content ?? {};
  const declaredTypes = Object.keys(content);
  if (declaredTypes.length === 0) {
    const text = await response.clone().text();
    if (text.length > 0) {
      throw new ResponseSchemaError(
        `${label}: ${route.name} declares no body for ${status}, but one came (${mediaType}): ${snippet(text)}`,
      );
    }
    return;
  }
  // A declared media type may carry parameters (`text/plain; version=0.0.4`); the response's are ignored.
  const entry =
    content[mediaType] ??
    Object.entries(content).find(
      ([declared]) => declared.split(';')[0]?.trim().toLowerCase() === mediaType,
    )?.[1];
  if (!entry) {
    throw new ResponseSchemaError(
      `${label}: ${route.name} declares ${status} as ${declaredTypes.join(' or ')}, but the response is ${
        mediaType || 'without a Content-Type'
      }`,
    );
  }
  if (STREAMING_MEDIA_TYPES.has(mediaType) || '$ref' in entry) return;
  await checkBody(label, response, mediaType, entry.schema);
}

interface ResponseCheckOptions {
  /**
   * Path prefixes of routes a test mounts itself (test-only routes, or contracts left incomplete
   * on purpose): their responses are not checked.
   */
  testOnlyRoutes?: readonly string[];
}

/**
 * Checks every response against the OpenAPI contract of the route that answered it: the route
 * must declare the status, and the JSON body (problem+json included) must match the zod schema
 * declared for that status and media type. Streamed bodies (SSE) are not read; their status and
 * media type still must be declared. Paths no declared route serves may only answer the app's
 * own problem+json (404, 405, 413, 429, 500). Throws a ResponseSchemaError naming the route,
 * the status and the zod issues.
 *
 * `definitions` is read on every check, so routes registered after creation (test probes) count.
 */
export function createResponseChecker(
  definitions: () => RouteDefinitions,
  options: ResponseCheckOptions = {},
) {
  let cached: { count: number; routes: DeclaredRoute[] } | undefined;
  const routes = () => {
    const current = definitions();
    if (cached?.count !== current.length) cached = { count: current.length, routes: declaredRoutes(current) };
    return cached.routes;
  };

  return async function checkResponse(request: Request, response: Response): Promise<void> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    if (options.testOnlyRoutes?.some((prefix) => url.pathname.startsWith(prefix))) return;
    const label = `${method} ${url.pathname} answered ${response.status}`;
    const lookup = method === 'HEAD' ? 'GET' : method;
    const route = routes().find((r) => r.method === lookup && r.pattern.test(url.pathname));
    if (route) return checkDeclared(label, route, response, method);
    // A CORS preflight, answered before any route by src/http/cors.middleware.ts: no body to check.
    if (
      method === 'OPTIONS' &&
      response.status === 204 &&
      request.headers.has('access-control-request-method')
    )
      return;

    const mediaType = mediaTypeOf(response);
    if (DASHBOARD_PAGES.test(url.pathname)) {
      if (mediaType === PROBLEM_CONTENT_TYPE)
        await checkAppLevel(label, response, mediaType, url.pathname, method !== 'HEAD');
      return;
    }
    if (url.pathname === MCP_ENDPOINT) {
      if (mediaType === PROBLEM_CONTENT_TYPE)
        await checkAppLevel(label, response, mediaType, url.pathname, method !== 'HEAD');
      else if (response.status !== 202 && mediaType !== 'application/json') {
        throw new ResponseSchemaError(
          `${label}: an MCP answer must be JSON-RPC (application/json), not ${mediaType}`,
        );
      }
      return;
    }
    if (DOCUMENT_ROUTES.has(`${lookup} ${url.pathname}`)) {
      if (response.status >= 400)
        await checkAppLevel(label, response, mediaType, url.pathname, method !== 'HEAD');
      return;
    }
    if (!APP_LEVEL_STATUSES.has(response.status)) {
      throw new ResponseSchemaError(
        `${label}, but no route in the OpenAPI registry declares ${lookup} ${url.pathname}; a test that calls its own routes names them in \`testOnlyRoutes\``,
      );
    }
    await checkAppLevel(label, response, mediaType, url.pathname, method !== 'HEAD');
  };
}
