import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { AppError, unauthorized } from '../errors.ts';
import { textProblem } from '../http/text-safety.ts';
import type { Logger } from '../observability/logger.ts';
import { hs256Candidates, hs256Keys } from './hs256-keys.ts';
import { type Role, roles } from './principal.ts';

interface VerifiedClaims {
  sub: string;
  role: Role;
}

/**
 * Verifies a bearer JWT and returns its subject and role, or throws a 401 AppError; a 503 when the
 * JWKS endpoint cannot be read (the server's problem, not the token's).
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
}

export interface TokenVerifierOptions {
  secret?: string;
  /**
   * Older HS256 secrets still accepted while tokens signed with them expire (JWT_SECRET_PREVIOUS,
   * comma-separated): rotation without downtime. A token's `kid` picks its secret when it names one.
   */
  previousSecrets?: readonly string[];
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  clockSkewSeconds: number;
  /** Longest accepted `sub`, in characters (JWT_MAX_SUBJECT_LENGTH). */
  maxSubjectLength?: number;
  /** Longest accepted lifetime, `exp - iat` (or `exp - now` without `iat`), in seconds (JWT_MAX_AGE_S). */
  maxAgeSeconds?: number;
  /** Longest wait for the JWKS endpoint, in ms (JWT_JWKS_TIMEOUT_MS; jose's `timeoutDuration`). */
  jwksTimeoutMs?: number;
  /**
   * Least time between two fetches caused by a token whose key is not in the set, in ms
   * (JWT_JWKS_COOLDOWN_MS; jose's `cooldownDuration`): unknown `kid`s cannot hammer the endpoint.
   */
  jwksCooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again, in ms (JWT_JWKS_CACHE_MAX_AGE_MS; `cacheMaxAge`). */
  jwksCacheMaxAgeMs?: number;
  /** Where a failed key-set fetch is logged (the 503 the caller sees never says why). */
  logger?: Logger;
  /** Lets tests hand in a local key set instead of a URL. */
  jwks?: JWTVerifyGetKey;
  /** Clock for the verified-token cache (tests move it). */
  now?: () => number;
}

const asymmetric = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `The token's "${error.claim}" claim is not accepted.`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The token is signed with an algorithm that is not accepted.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'No key matches the token.';
  return 'The token is malformed or cannot be verified.';
}

/** Seconds a caller is asked to wait while the key set cannot be fetched. */
const KEY_SET_RETRY_AFTER_S = 5;

/** The JWKS endpoint did not give a usable key set (timeout, refused, non-200, not a key set). */
class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super('the JWKS endpoint did not give a usable key set', { cause });
    this.name = 'KeySetUnavailable';
  }
}

// What a key set that was fetched says about the token: refusals of the token, not failures of the set.
const tokenRefusals = [
  joseErrors.JWKSNoMatchingKey,
  joseErrors.JWKSMultipleMatchingKeys,
  joseErrors.JOSEAlgNotAllowed,
  joseErrors.JOSENotSupported,
];

const keySetUnavailable = () =>
  new AppError({
    status: 503,
    slug: 'authentication-unavailable',
    title: 'Authentication unavailable',
    detail: "The identity provider's signing keys cannot be fetched right now; retry shortly.",
    headers: { 'Retry-After': String(KEY_SET_RETRY_AFTER_S) },
  });

const DEFAULT_MAX_SUBJECT_LENGTH = 255;
const DEFAULT_MAX_AGE_S = 30 * 86_400;
// Control characters (NUL, newlines, C1) and line or paragraph separators: a subject is an id, and
// one that renders differently in logs or breaks lines there must not name a tenant.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/**
 * Why `sub` cannot name a user, or undefined. The subject becomes the tenant id: text PostgreSQL
 * would store altered (a lone surrogate becomes U+FFFD, so two subjects would share one tenant),
 * controls, blanks and overlong ids are refused rather than normalised.
 */
function subjectProblem(sub: string, maxLength: number): string | undefined {
  if (sub.trim().length === 0) return 'must not be blank';
  if (sub.length > maxLength) return `must be at most ${maxLength} characters`;
  const problem = textProblem(sub);
  if (problem) return problem;
  if (CONTROL.test(sub)) return 'must not contain control characters or line breaks';
  return undefined;
}

/**
 * Why the token's validity window is refused, or undefined: an `iat` in the future (beyond the
 * clock skew), or a lifetime longer than `maxAgeS`, measured from `iat` or, without one, from now.
 * jose has already checked that `exp` is a number and not past.
 */
function lifetimeProblem(payload: JWTPayload, nowS: number, skewS: number, maxAgeS: number) {
  const { iat, exp } = payload;
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat)))
    return 'The token\'s "iat" claim must be a number.';
  if (iat !== undefined && iat > nowS + skewS) return 'The token\'s "iat" claim is in the future.';
  if (typeof exp !== 'number' || exp - (iat ?? nowS) > maxAgeS) {
    return `The token is valid for longer than the ${maxAgeS} s this server accepts ("exp" too far after "iat").`;
  }
  return undefined;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const maxSubjectLength = options.maxSubjectLength ?? DEFAULT_MAX_SUBJECT_LENGTH;
  const maxAgeS = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_S;
  const secrets = [options.secret, ...(options.previousSecrets ?? [])].filter((s): s is string => !!s);
  const hsKeys = secrets.length > 0 ? hs256Keys([...new Set(secrets)]) : undefined;
  const jwks =
    options.jwks ??
    (options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl), {
          timeoutDuration: options.jwksTimeoutMs,
          cooldownDuration: options.jwksCooldownMs,
          cacheMaxAge: options.jwksCacheMaxAgeMs,
        })
      : undefined);
  if (!hsKeys && !jwks) throw new Error('A token verifier needs JWT_SECRET or JWT_JWKS_URL.');
  // The accepted algorithms follow from the configured keys, so a token can never pick
  // its own verification method (no "none", no HS256 signed with a public key).
  const algorithms = [...(hsKeys ? ['HS256'] : []), ...(jwks ? asymmetric : [])];
  const key: JWTVerifyGetKey = async (header, token) => {
    if (!jwks) throw new joseErrors.JOSEAlgNotAllowed('algorithm not allowed');
    try {
      return await jwks(header, token);
    } catch (error) {
      if (tokenRefusals.some((refusal) => error instanceof refusal)) throw error;
      throw new KeySetUnavailable(error);
    }
  };

  // Signature checks cost ~100 µs each; a client sends the same token many times, so a
  // verified token is remembered until its own expiry (at most a minute, to bound key rotation).
  const now = options.now ?? Date.now;
  const verified = new LRUCache<string, VerifiedClaims>({ max: 10_000, ttlResolution: 0, perf: { now } });

  const verifyOptions = () => ({
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockSkewSeconds,
    currentDate: new Date(now()),
    requiredClaims: ['sub', 'exp'],
  });

  // HS256 with more than one secret: the one the token's kid names, else each in turn (current
  // first); only a signature mismatch moves on, any other refusal is the token's own.
  async function verifyPayload(token: string): Promise<JWTPayload> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new joseErrors.JWSInvalid('malformed header');
    }
    if (header.alg !== 'HS256' || !hsKeys) return (await jwtVerify(token, key, verifyOptions())).payload;
    const candidates = hs256Candidates(await hsKeys, typeof header.kid === 'string' ? header.kid : undefined);
    let failure: unknown;
    for (const candidate of candidates) {
      try {
        return (await jwtVerify(token, candidate.key, verifyOptions())).payload;
      } catch (error) {
        if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw error;
        failure = error;
      }
    }
    throw failure;
  }

  return {
    async verify(token) {
      const cached = verified.get(token);
      if (cached) return cached;
      let payload: JWTPayload;
      try {
        payload = await verifyPayload(token);
      } catch (error) {
        if (error instanceof KeySetUnavailable) {
          options.logger?.warn('jwks fetch failed', { err: error.cause });
          throw keySetUnavailable();
        }
        throw unauthorized(describe(error));
      }
      const lifetime = lifetimeProblem(payload, now() / 1000, options.clockSkewSeconds, maxAgeS);
      if (lifetime) throw unauthorized(lifetime);
      const sub = payload.sub;
      if (typeof sub !== 'string') throw unauthorized('The token\'s "sub" claim must be a string.');
      const subject = subjectProblem(sub, maxSubjectLength);
      if (subject) throw unauthorized(`The token's "sub" claim ${subject}.`);
      const role = payload.role ?? 'user';
      if (!roles.includes(role as Role)) {
        throw unauthorized('The token\'s "role" claim must be "user" or "admin".');
      }
      const claims: VerifiedClaims = { sub, role: role as Role };
      const expiresInMs = (payload.exp ?? 0) * 1000 - now();
      if (expiresInMs > 0) verified.set(token, claims, { ttl: Math.min(expiresInMs, 60_000) });
      return claims;
    },
  };
}
