import { base64url } from 'jose';

/** One HS256 secret the verifier accepts, with the key id tokens signed by it carry. */
export interface Hs256Key {
  kid: string;
  key: Uint8Array;
}

/**
 * The `kid` of an HS256 secret: a short digest of it, so a token names its secret without revealing
 * it, and the verifier checks the one secret named instead of each in turn.
 */
export async function hs256KeyId(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  return `hs-${base64url.encode(new Uint8Array(digest)).slice(0, 16)}`;
}

/** JWT_SECRET (current, signs new tokens) then each of JWT_SECRET_PREVIOUS (still accepted), deduplicated. */
export function hs256Secrets(current: string | undefined, previous: string | undefined): string[] {
  const all = [current, ...(previous ?? '').split(',')].map((s) => s?.trim() ?? '').filter((s) => s !== '');
  return [...new Set(all)];
}

export async function hs256Keys(secrets: readonly string[]): Promise<Hs256Key[]> {
  return Promise.all(
    secrets.map(async (secret) => ({ kid: await hs256KeyId(secret), key: new TextEncoder().encode(secret) })),
  );
}

/** The keys to try for a token: the one its `kid` names when known, else every key, current first. */
export function hs256Candidates(keys: readonly Hs256Key[], kid: string | undefined): readonly Hs256Key[] {
  const named = kid === undefined ? undefined : keys.find((k) => k.kid === kid);
  return named ? [named] : keys;
}
