import type { MiddlewareHandler } from 'hono';
import type { AuthedEnv } from '../../http/app-env.ts';
import { storageQuotaExhausted } from './quota-errors.ts';
import { storageUse } from './storage-quota.ts';

/**
 * The storage-quota guard of document uploads: one more document, and the upload's body size
 * (an upper bound of the content it stores), must fit the plan's `documents` and `stored_bytes`.
 * Checked from the documents table, so deleting documents makes room at once. Two uploads racing
 * can both pass the check: the overrun is bounded by the caller's in-flight limit.
 */
export function enforceStorageQuota(): MiddlewareHandler<AuthedEnv> {
  return async function storageQuotaMiddleware(c, next) {
    const deps = c.get('deps');
    if (deps.config.QUOTA_ENFORCEMENT === 'off') return next();
    const principal = c.get('principal');
    // The declared length when there is one (the server holds the body to it), so a large upload
    // is not buffered an extra time; else the body, read through Hono's cache for the validator.
    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    const bytes =
      Number.isSafeInteger(declared) && declared >= 0 ? declared : (await c.req.arrayBuffer()).byteLength;
    const use = await storageUse(deps.db, { userId: principal.userId, plan: principal.plan });
    if (use.documentsLimit !== null && use.documents + 1 > use.documentsLimit) {
      throw storageQuotaExhausted({
        quota: 'documents',
        plan: use.plan,
        limit: use.documentsLimit,
        used: use.documents,
        requested: 1,
      });
    }
    if (use.storedBytesLimit !== null && use.storedBytes + bytes > use.storedBytesLimit) {
      throw storageQuotaExhausted({
        quota: 'stored_bytes',
        plan: use.plan,
        limit: use.storedBytesLimit,
        used: use.storedBytes,
        requested: bytes,
      });
    }
    await next();
  };
}
