import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { hs256KeyId, hs256Secrets } from '../../src/auth/hs256-keys.ts';
import { mintToken } from '../../src/auth/mint-token.ts';
import { createTokenVerifier } from '../../src/auth/token-verifier.ts';
import { expectUnauthorized } from '../helpers/expect-unauthorized.ts';

const oldSecret = 'rotation-old-secret-that-is-long-enough-1';
const newSecret = 'rotation-new-secret-that-is-long-enough-2';
const otherSecret = 'rotation-some-other-secret-long-enough-3';

const sign = (secret: string, header: Record<string, unknown> = {}) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', ...header })
    .setSubject('rotated')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));

describe('HS256 secret rotation', () => {
  const during = createTokenVerifier({
    secret: newSecret,
    previousSecrets: [oldSecret],
    clockSkewSeconds: 30,
  });

  it('accepts tokens signed with the current and with a previous secret, with or without kid', async () => {
    for (const token of [
      await sign(newSecret),
      await sign(oldSecret),
      await mintToken({ secret: newSecret, sub: 'rotated', role: 'user' }),
      await mintToken({ secret: oldSecret, sub: 'rotated', role: 'user' }),
    ]) {
      expect(await during.verify(token)).toEqual({ sub: 'rotated', role: 'user' });
    }
  });

  it('refuses a secret that was never configured, and one removed after the rotation', async () => {
    await expectUnauthorized(during.verify(await sign(otherSecret)), /signature/);
    const after = createTokenVerifier({ secret: newSecret, clockSkewSeconds: 30 });
    await expectUnauthorized(
      after.verify(await mintToken({ secret: oldSecret, sub: 'r', role: 'user' })),
      /signature/,
    );
    await expectUnauthorized(after.verify(await sign(oldSecret)), /signature/);
    expect(await after.verify(await sign(newSecret))).toEqual({ sub: 'rotated', role: 'user' });
  });

  it('a kid naming one secret is checked against that secret only', async () => {
    const oldKid = await hs256KeyId(oldSecret);
    // Signed with the new secret but claiming the old one's kid: the old secret alone is tried.
    await expectUnauthorized(during.verify(await sign(newSecret, { kid: oldKid })), /signature/);
    // An unknown kid (another issuer's naming) falls back to every configured secret.
    expect(await during.verify(await sign(oldSecret, { kid: 'their-key-1' }))).toEqual({
      sub: 'rotated',
      role: 'user',
    });
  });

  it('key ids are stable, distinct per secret and reveal nothing of it', async () => {
    expect(await hs256KeyId(oldSecret)).toBe(await hs256KeyId(oldSecret));
    expect(await hs256KeyId(oldSecret)).not.toBe(await hs256KeyId(newSecret));
    expect(await hs256KeyId(oldSecret)).toMatch(/^hs-[A-Za-z0-9_-]{16}$/);
    expect(await hs256KeyId(oldSecret)).not.toContain(oldSecret.slice(0, 8));
  });

  it('JWT_SECRET_PREVIOUS lists secrets comma-separated, trimmed and deduplicated', () => {
    expect(hs256Secrets(newSecret, ` ${oldSecret} ,${newSecret},`)).toEqual([newSecret, oldSecret]);
    expect(hs256Secrets(undefined, undefined)).toEqual([]);
  });
});
