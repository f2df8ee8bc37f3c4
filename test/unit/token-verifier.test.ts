import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/mint-token.ts';
import { createTokenVerifier } from '../../src/auth/token-verifier.ts';
import { expectUnauthorized } from '../helpers/expect-unauthorized.ts';

const secret = 'unit-test-secret-that-is-long-enough-1234';
const verifier = createTokenVerifier({ secret, clockSkewSeconds: 30 });
const encode = (s: string) => new TextEncoder().encode(s);

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('token verifier (HS256)', () => {
  it('accepts a valid token and defaults the role to user', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(encode(secret));
    expect(await verifier.verify(token)).toEqual({ sub: 'alice', role: 'user' });
  });

  it('rejects an expired token beyond the clock skew', async () => {
    const past = Math.floor(Date.now() / 1000) - 120;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(past)
      .sign(encode(secret));
    await expectUnauthorized(verifier.verify(token), /expired/);
  });

  it('tolerates an expiry within the clock skew', async () => {
    const justNow = Math.floor(Date.now() / 1000) - 5;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(justNow)
      .sign(encode(secret));
    expect((await verifier.verify(token)).sub).toBe('alice');
  });

  it('rejects a token not yet valid (nbf)', async () => {
    const future = Math.floor(Date.now() / 1000) + 600;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setNotBefore(future)
      .setExpirationTime(future + 60)
      .sign(encode(secret));
    await expectUnauthorized(verifier.verify(token), /nbf/);
  });

  it('rejects a token signed with another key', async () => {
    const token = await mintToken({
      secret: 'another-secret-that-is-long-enough-123456',
      sub: 'mallory',
      role: 'admin',
    });
    await expectUnauthorized(verifier.verify(token), /signature/);
  });

  it('rejects alg "none"', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', role: 'admin', exp: 9999999999 })}.`;
    await expectUnauthorized(verifier.verify(token), /algorithm|malformed/);
  });

  it('rejects a token without exp', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .sign(encode(secret));
    await expectUnauthorized(verifier.verify(token), /exp/);
  });

  it('rejects an unknown role', async () => {
    const token = await new SignJWT({ role: 'root' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(encode(secret));
    await expectUnauthorized(verifier.verify(token), /role/);
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createTokenVerifier({ secret, issuer: 'cairn', audience: 'api', clockSkewSeconds: 0 });
    const good = await mintToken({ secret, sub: 'a', role: 'user', issuer: 'cairn', audience: 'api' });
    expect((await strict.verify(good)).sub).toBe('a');
    const wrongIssuer = await mintToken({ secret, sub: 'a', role: 'user', issuer: 'evil', audience: 'api' });
    await expectUnauthorized(strict.verify(wrongIssuer), /iss/);
    const wrongAudience = await mintToken({
      secret,
      sub: 'a',
      role: 'user',
      issuer: 'cairn',
      audience: 'web',
    });
    await expectUnauthorized(strict.verify(wrongAudience), /aud/);
  });

  it('rejects garbage', async () => {
    await expectUnauthorized(verifier.verify('not.a.jwt'), /malformed/);
  });
});

describe('token verifier (JWKS)', () => {
  it('accepts RS256 from the key set and refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const jwksVerifier = createTokenVerifier({
      jwks: createLocalJWKSet({ keys: [jwk] }),
      clockSkewSeconds: 0,
    });

    const rs = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('svc')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await jwksVerifier.verify(rs)).toEqual({ sub: 'svc', role: 'admin' });

    const confused = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(encode(JSON.stringify(jwk)));
    await expectUnauthorized(jwksVerifier.verify(confused), /algorithm/);
  });
});

describe('verified-token cache', () => {
  it('answers a repeated token from cache but never past its expiry', async () => {
    let clock = Date.now();
    const cached = createTokenVerifier({ secret, clockSkewSeconds: 0, now: () => clock });
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(Math.floor(clock / 1000) + 30)
      .sign(encode(secret));
    expect(await cached.verify(token)).toEqual({ sub: 'alice', role: 'admin' });
    clock += 20_000;
    expect(await cached.verify(token)).toEqual({ sub: 'alice', role: 'admin' });
    clock += 15_000;
    await expectUnauthorized(cached.verify(token), /expired/);
  });

  it('never caches a rejected token', async () => {
    const cached = createTokenVerifier({ secret, clockSkewSeconds: 0 });
    const forged = await mintToken({
      secret: 'another-secret-that-is-long-enough-123456',
      sub: 'eve',
      role: 'admin',
    });
    await expectUnauthorized(cached.verify(forged), /signature/);
    await expectUnauthorized(cached.verify(forged), /signature/);
  });
});
