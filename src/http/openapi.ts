import type { OpenAPIHono, z } from '@hono/zod-openapi';
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

export function registerSecurityScheme(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A JWT (HS256 with JWT_SECRET or JWT_SECRET_PREVIOUS, or RS/ES keys from JWT_JWKS_URL; `sub` is the user id, `role` is user or admin), or an API key (`cairn_sk_...`, from POST /me/api-keys) acting as its owner within its scopes.',
  });
}

/** Registers the security scheme and serves the OpenAPI 3.1 document at /openapi.json. */
export function registerOpenApi(app: OpenAPIHono<AppEnv>, version: string): void {
  registerSecurityScheme(app);
  app.doc31('/openapi.json', openApiInfo(version));
}

export function openApiInfo(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'cairn',
      version,
      description:
        "Edge-first AI backend: a structured LLM gateway (/analyze, and an OpenAI-compatible /v1) and RAG on Postgres + pgvector (documents, search, grounded chat). Errors are RFC 9457 problem+json; under /v1 they take OpenAI's error shape.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
  };
}
