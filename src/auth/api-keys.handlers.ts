import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../http/app-env.ts';
import { toPageResponse } from '../http/pagination.ts';
import type { ApiKeyScope } from './api-key-scopes.ts';
import type {
  apiKeySchema,
  createApiKeyRoute,
  createdApiKeySchema,
  listApiKeysRoute,
  revokeApiKeyRoute,
} from './api-keys.routes.ts';
import { type ApiKey, createApiKey, listApiKeys, revokeApiKey } from './api-keys.ts';

export const toApiKeyResponse = (key: ApiKey): z.input<typeof apiKeySchema> => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes as ApiKeyScope[],
  created_at: key.createdAt.toISOString(),
  expires_at: key.expiresAt?.toISOString() ?? null,
  last_used_at: key.lastUsedAt?.toISOString() ?? null,
  revoked_at: key.revokedAt?.toISOString() ?? null,
});

const toCreatedApiKeyResponse = (key: ApiKey, secret: string): z.input<typeof createdApiKeySchema> => ({
  ...toApiKeyResponse(key),
  key: secret,
});

export const createApiKeyHandler: RouteHandler<typeof createApiKeyRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const principal = c.get('principal');
  const { key, secret } = await createApiKey(c.get('deps'), {
    userId: principal.userId,
    role: principal.role,
    name: body.name,
    scopes: body.scopes,
    expiresAt: body.expires_at === undefined ? undefined : new Date(body.expires_at),
  });
  // The secret must not linger in caches or proxies.
  c.header('Cache-Control', 'no-store');
  return c.json(toCreatedApiKeyResponse(key, secret), 201);
};

export const listApiKeysHandler: RouteHandler<typeof listApiKeysRoute, AuthedEnv> = async (c) => {
  const query = c.req.valid('query');
  const page = await listApiKeys(c.get('deps'), { userId: c.get('principal').userId, ...query });
  return c.json(toPageResponse(page, toApiKeyResponse), 200);
};

export const revokeApiKeyHandler: RouteHandler<typeof revokeApiKeyRoute, AuthedEnv> = async (c) => {
  const { id } = c.req.valid('param');
  await revokeApiKey(c.get('deps'), { userId: c.get('principal').userId, id });
  return c.body(null, 204);
};
