import { and, count, eq, getTableColumns, gt, isNull, or, sql } from 'drizzle-orm';
import { base64url } from 'jose';
import { apiKeys, users } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError, conflict, forbidden, notFound, unauthorized, validationFailed } from '../errors.ts';
import { keysetPage, type Page, type PageRequest } from '../http/pagination.ts';
import type { ApiKeyRecord } from './api-key-cache.ts';
import { type ApiKeyScope, requiredScope } from './api-key-scopes.ts';
import type { Principal, Role } from './principal.ts';
import { type CachedUser, findUser } from './resolve-principal.ts';

/** Every key starts with this, so leaked keys are recognisable (secret scanners, logs). */
const API_KEY_PREFIX = 'cairn_sk_';
// 32 random bytes in base64url: 256 bits, far beyond guessing, which is why a plain hash suffices.
const API_KEY_PATTERN = /^cairn_sk_[A-Za-z0-9_-]{43}$/;
// How much of the key is stored in clear to tell keys apart: the prefix and 4 random characters.
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 4;

/** An API key as its owner sees it (never the secret nor its hash). */
export type ApiKey = Omit<typeof apiKeys.$inferSelect, 'hash'>;

/** Whether a bearer credential is an API key (rather than a JWT). */
export const isApiKey = (credential: string) => credential.startsWith(API_KEY_PREFIX);

/** Hex SHA-256 of the whole key: what is stored and looked up. */
export async function hashApiKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function generateApiKey(): string {
  return API_KEY_PREFIX + base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

const { hash: _hash, ...keyColumns } = getTableColumns(apiKeys);

/**
 * Creates a key for `userId`, returning it with its secret (shown this once). `admin` scope only
 * for admins; at most API_KEY_MAX_PER_USER live keys, counted under a lock on the user's row so
 * concurrent creations cannot pass the limit together.
 */
export async function createApiKey(
  deps: Pick<Deps, 'db' | 'config' | 'now'>,
  input: { userId: string; role: Role; name: string; scopes: ApiKeyScope[]; expiresAt?: Date | undefined },
): Promise<{ key: ApiKey; secret: string }> {
  const scopes = [...new Set(input.scopes)];
  if (scopes.includes('admin') && input.role !== 'admin') {
    throw forbidden('Only admins can create keys with the "admin" scope.');
  }
  const now = deps.now();
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
    throw validationFailed('The expiry must be in the future.', [
      { pointer: '/body/expires_at', detail: 'must be in the future' },
    ]);
  }
  const secret = generateApiKey();
  const hash = await hashApiKey(secret);
  const key = await deps.db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId)).for('update');
    const [live] = await tx
      .select({ n: count() })
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.userId, input.userId),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        ),
      );
    const max = deps.config.API_KEY_MAX_PER_USER;
    if ((live?.n ?? 0) >= max) {
      throw conflict(`You already have ${max} live API keys (API_KEY_MAX_PER_USER); revoke one first.`);
    }
    const [row] = await tx
      .insert(apiKeys)
      .values({
        id: crypto.randomUUID(),
        userId: input.userId,
        name: input.name,
        prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
        hash,
        scopes,
        createdAt: now,
        expiresAt: input.expiresAt ?? null,
      })
      .returning(keyColumns);
    return row!;
  });
  return { key, secret };
}

/** The caller's keys, newest first, revoked and expired ones included (with when). */
export async function listApiKeys(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & { userId: string },
): Promise<Page<ApiKey>> {
  return keysetPage(
    input,
    { timestamp: apiKeys.createdAt, id: apiKeys.id },
    (keyset) =>
      deps.db
        .select({ ...keyColumns, sortKey: keyset.sortKey })
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, input.userId), keyset.after))
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...key }) => key,
  );
}

/**
 * Revokes one of the caller's keys; it is refused at once on this instance and within
 * API_KEY_CACHE_TTL_S elsewhere. Revoking a revoked key succeeds (idempotent); another user's is 404.
 */
export async function revokeApiKey(
  deps: Pick<Deps, 'db' | 'apiKeyCache'>,
  input: { userId: string; id: string },
): Promise<void> {
  const [row] = await deps.db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, input.id), eq(apiKeys.userId, input.userId)))
    .returning({ hash: apiKeys.hash });
  if (!row) throw notFound(`API key ${input.id} does not exist.`);
  deps.apiKeyCache.deleteHash(row.hash);
}

const accountDisabled = () =>
  new AppError({
    status: 403,
    slug: 'account-disabled',
    title: 'Account disabled',
    detail: 'This account is disabled; contact an administrator.',
  });

/** 403 for a disabled account, whichever credential it presents. */
export function assertActive(user: CachedUser): void {
  if (user.status === 'disabled') throw accountDisabled();
}

async function lookUpKey(
  deps: Pick<Deps, 'db' | 'apiKeyCache'>,
  hash: string,
): Promise<ApiKeyRecord | undefined> {
  const cached = deps.apiKeyCache.get(hash);
  if (cached) return cached.found ? cached.key : undefined;
  const [row] = await deps.db
    .select({ id: apiKeys.id, userId: apiKeys.userId, scopes: apiKeys.scopes, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  const key = row ? { ...row, scopes: row.scopes as ApiKeyScope[] } : undefined;
  deps.apiKeyCache.set(hash, key ? { found: true, key } : { found: false });
  return key;
}

/**
 * The principal an API key acts as: its owner, with the owner's plan, limits and quotas. The role
 * is `admin` only when the owner is an admin and the key has the `admin` scope. Refuses (401) an
 * unknown, revoked or expired key; (403) a disabled owner, or a route outside the key's scopes.
 */
export async function authenticateApiKey(
  deps: Pick<Deps, 'db' | 'apiKeyCache' | 'principalCache' | 'logger' | 'now' | 'telemetry'>,
  input: { credential: string; method: string; path: string; role: Role | undefined },
): Promise<Principal> {
  if (!API_KEY_PATTERN.test(input.credential)) throw unauthorized('The API key is malformed.');
  const key = await lookUpKey(deps, await hashApiKey(input.credential));
  if (!key) throw unauthorized('The API key is unknown or has been revoked.');
  if (key.expiresAt && key.expiresAt.getTime() <= deps.now().getTime()) {
    throw unauthorized('The API key has expired.');
  }
  const owner = await findUser(deps, key.userId);
  if (!owner) throw unauthorized('The API key is unknown or has been revoked.');
  assertActive(owner);
  const needed = requiredScope(input.method, input.path, input.role === 'admin' ? 'admin' : undefined);
  if (needed === 'refused') {
    throw forbidden('API keys cannot manage keys or account data; use a JWT for this route.');
  }
  if (needed && !key.scopes.includes(needed)) {
    throw forbidden(`This API key lacks the "${needed}" scope this route needs.`);
  }
  await recordLastUse(deps, key.id);
  const role: Role = owner.role === 'admin' && key.scopes.includes('admin') ? 'admin' : 'user';
  return { userId: owner.userId, role, plan: owner.plan };
}

// At most one write per key and minute from this instance; a failure only costs the timestamp.
async function recordLastUse(
  deps: Pick<Deps, 'db' | 'apiKeyCache' | 'logger'>,
  keyId: string,
): Promise<void> {
  if (!deps.apiKeyCache.claimLastUseWrite(keyId)) return;
  try {
    await deps.db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, keyId));
  } catch (error) {
    deps.logger.warn('api key last use not recorded', { api_key_id: keyId, err: error });
  }
}
