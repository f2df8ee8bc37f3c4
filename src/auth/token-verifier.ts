import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { unauthorized } from '../errors.ts';
import { type Role, roles } from './principal.ts';

interface VerifiedClaims {
  sub: string;
  role: Role;
}

/** Verifies a bearer JWT and returns its subject and role, or throws a 401 AppError. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
}

export interface TokenVerifierOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  clockSkewSeconds: number;
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

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwks ?? (options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined);
  if (!secret && !jwks) throw new Error('A token verifier needs JWT_SECRET or JWT_JWKS_URL.');
  // The accepted algorithms follow from the configured keys, so a token can never pick
  // its own verification method (no "none", no HS256 signed with a public key).
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? asymmetric : [])];
  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks) return jwks(header, token);
    throw new joseErrors.JOSEAlgNotAllowed('algorithm not allowed');
  };

  // Signature checks cost ~100 µs each; a client sends the same token many times, so a
  // verified token is remembered until its own expiry (at most a minute, to bound key rotation).
  const now = options.now ?? Date.now;
  const verified = new LRUCache<string, VerifiedClaims>({ max: 10_000, ttlResolution: 0, perf: { now } });

  return {
    async verify(token) {
      const cached = verified.get(token);
      if (cached) return cached;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockSkewSeconds,
          currentDate: new Date(now()),
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (error) {
        throw unauthorized(describe(error));
      }
      const sub = payload.sub;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) {
        throw unauthorized('The token\'s "sub" claim must be a non-empty string of at most 255 characters.');
      }
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
