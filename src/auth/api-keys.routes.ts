import { createRoute, z } from '@hono/zod-openapi';
import { guarded } from '../guards/guarded.middleware.ts';
import { authErrorResponses, jsonResponse, problemResponses } from '../http/openapi.ts';
import { pageQuerySchema, pageSchema } from '../http/pagination.ts';
import { safeString } from '../http/text-safety.ts';
import { apiKeyScopes, defaultApiKeyScopes } from './api-key-scopes.ts';

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({
      description: 'The first characters of the key, to tell keys apart',
      example: 'cairn_sk_Ab3d',
    }),
    scopes: z.array(z.enum(apiKeyScopes)),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z
      .string()
      .nullable()
      .openapi({ description: 'Recorded at most once a minute per key and instance' }),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

export const createdApiKeySchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      description: 'The secret: send it as `Authorization: Bearer <key>`. Shown only in this response.',
      example: 'cairn_sk_Ab3d...',
    }),
  })
  .openapi('CreatedApiKey');

const createApiKeyBodySchema = z
  .strictObject({
    name: safeString().trim().min(1).max(100).openapi({ example: 'laptop' }),
    scopes: z
      .array(z.enum(apiKeyScopes))
      .min(1)
      .max(apiKeyScopes.length)
      .default(defaultApiKeyScopes)
      .openapi({
        description:
          'Route families the key may call: `model` (/v1, /analyze), `rag` (documents, search, chat, conversations), `agents` (/agent), `admin` (admin routes; admins only). Default: all but admin.',
      }),
    expires_at: z.iso.datetime({ offset: true }).optional().openapi({
      description: 'When the key stops working; never when absent',
      example: '2027-01-01T00:00:00Z',
    }),
  })
  .openapi('CreateApiKeyRequest', {
    example: { name: 'laptop', scopes: ['model', 'rag'], expires_at: '2027-01-01T00:00:00Z' },
  });

export const createApiKeyRoute = createRoute({
  method: 'post',
  path: '/me/api-keys',
  operationId: 'createApiKey',
  tags: ['account'],
  summary: 'Create an API key (the secret is shown once)',
  description:
    'Keys are accepted as `Authorization: Bearer <key>` wherever a JWT is, acting as their owner with the same limits and quotas, within their scopes. Keys cannot manage keys, nor export or erase the account: those routes need a JWT.',
  ...guarded({ routeClass: 'write' }),
  request: { body: { required: true, content: { 'application/json': { schema: createApiKeyBodySchema } } } },
  responses: {
    201: jsonResponse(createdApiKeySchema, 'The key, with its secret'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const listApiKeysRoute = createRoute({
  method: 'get',
  path: '/me/api-keys',
  operationId: 'listApiKeys',
  tags: ['account'],
  summary: "The caller's API keys, newest first (revoked and expired ones included; never the secrets)",
  ...guarded({ routeClass: 'read' }),
  request: { query: pageQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(apiKeySchema, 'ApiKeyPage'), 'A page of keys'),
    ...authErrorResponses,
    ...problemResponses,
  },
});

export const revokeApiKeyRoute = createRoute({
  method: 'delete',
  path: '/me/api-keys/{id}',
  operationId: 'revokeApiKey',
  tags: ['account'],
  summary: 'Revoke an API key: refused at once (within API_KEY_CACHE_TTL_S on other instances)',
  ...guarded({ routeClass: 'write' }),
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    204: { description: 'Revoked (or already revoked)' },
    ...authErrorResponses,
    ...problemResponses,
  },
});
