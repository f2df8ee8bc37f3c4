import { base64url } from 'jose';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';

/**
 * A dashboard session, carried in a signed cookie: no server-side store, so it works unchanged on
 * every instance and on Workers. Who the admin is stays checked against the database on each
 * request (role, status, the API key's revocation), so the cookie only says who signed in, when it
 * expires, and the CSRF token its forms must send back.
 */
export interface AdminSession {
  /** The admin's user id. */
  sub: string;
  /** The API key signed in with, checked on each request; null for a JWT. */
  keyId: string | null;
  /** The synchronizer token every form of this session carries. */
  csrf: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
}

const sessionSchema = z.strictObject({
  sub: z.string().min(1).max(4096),
  keyId: z.string().max(64).nullable(),
  csrf: z.string().min(32).max(64),
  exp: z.number().int().positive(),
});

const encoder = new TextEncoder();
/** An imported HMAC key (the runtime's Web Crypto key). */
export type SessionKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const keys = new Map<string, Promise<SessionKey>>();

const importHmacKey = (secret: Uint8Array | ArrayBuffer) =>
  crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

// ADMIN_SESSION_SECRET as is, else a key derived from JWT_SECRET for this one purpose, so a
// session signature can never pass as a token's (or the reverse).
async function deriveKey(config: Pick<Config, 'ADMIN_SESSION_SECRET' | 'JWT_SECRET'>): Promise<SessionKey> {
  if (config.ADMIN_SESSION_SECRET) return importHmacKey(encoder.encode(config.ADMIN_SESSION_SECRET));
  const jwtKey = await importHmacKey(encoder.encode(config.JWT_SECRET));
  const derived = await crypto.subtle.sign(
    'HMAC',
    jwtKey,
    encoder.encode('cairn admin dashboard session v1'),
  );
  return importHmacKey(derived);
}

/** The key sessions are signed with; undefined when neither secret is set (JWKS-only deployments). */
export function sessionKey(
  config: Pick<Config, 'ADMIN_SESSION_SECRET' | 'JWT_SECRET'>,
): Promise<SessionKey> | undefined {
  const secret = config.ADMIN_SESSION_SECRET ?? config.JWT_SECRET;
  if (!secret) return undefined;
  const id = `${config.ADMIN_SESSION_SECRET ? 's' : 'j'}:${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = deriveKey(config);
    // Bounded: a process sees one or two secrets; tests build many apps with the same few.
    if (keys.size > 16) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/** A fresh random token (CSRF, login nonce): 32 bytes, base64url. */
export const randomToken = () => base64url.encode(crypto.getRandomValues(new Uint8Array(32)));

/** The cookie value of a session: base64url JSON, a dot, base64url HMAC-SHA256 of the first part. */
export async function sealSession(key: SessionKey, session: AdminSession): Promise<string> {
  const body = base64url.encode(JSON.stringify(session));
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)));
  return `${body}.${base64url.encode(signature)}`;
}

/** The session a cookie carries, or undefined when it is malformed, forged or expired. */
export async function openSession(
  key: SessionKey,
  value: string,
  nowMs: number,
): Promise<AdminSession | undefined> {
  if (value.length > 8192) return undefined;
  const [body, signature, extra] = value.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  let decoded: unknown;
  try {
    // crypto.subtle.verify compares in constant time.
    if (!(await crypto.subtle.verify('HMAC', key, base64url.decode(signature), encoder.encode(body))))
      return undefined;
    decoded = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(body)),
    );
  } catch {
    return undefined;
  }
  const parsed = sessionSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.exp * 1000 <= nowMs) return undefined;
  return parsed.data;
}

/** Compares two tokens without an early exit on the first differing character. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
