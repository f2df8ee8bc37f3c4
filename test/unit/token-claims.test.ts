import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/token-verifier.ts';
import { expectUnauthorized } from '../helpers/expect-unauthorized.ts';

const secret = 'unit-test-secret-that-is-long-enough-1234';
const key = new TextEncoder().encode(secret);
const nowS = () => Math.floor(Date.now() / 1000);

// Signs the claims as given: no defaults, so each test controls sub, iat and exp itself.
const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);

describe('token subjects: one well-formed id per tenant', () => {
  const verifier = createTokenVerifier({ secret, clockSkewSeconds: 30, maxSubjectLength: 20 });
  const withSub = (sub: unknown) => sign({ sub, exp: nowS() + 600 });

  it('refuses subjects PostgreSQL would store altered (lone surrogates) or not at all (NUL)', async () => {
    for (const sub of ['eve\ud800', 'eve\udbff', '\udc00eve', 'eve\u0000']) {
      await expectUnauthorized(verifier.verify(await withSub(sub)), /"sub".*(surrogate|NUL)/);
    }
  });

  it('refuses blank subjects, control characters and line breaks', async () => {
    for (const sub of ['', '   ', '\t', 'a\nb', 'a\rb', 'a\u0085b', 'a\u2028b', 'a\u007fb']) {
      await expectUnauthorized(verifier.verify(await withSub(sub)), /"sub"/);
    }
  });

  it('refuses subjects longer than JWT_MAX_SUBJECT_LENGTH and non-string subjects', async () => {
    await expectUnauthorized(verifier.verify(await withSub('x'.repeat(21))), /at most 20 characters/);
    await expectUnauthorized(verifier.verify(await withSub(42)), /"sub"/);
  });

  it('accepts ordinary ids, non-ASCII letters and characters outside the BMP', async () => {
    for (const sub of ['alice', 'x'.repeat(20), 'zoë', 'user@example.com', 'eve 🐘', 'auth0|12345']) {
      expect((await verifier.verify(await withSub(sub))).sub).toBe(sub);
    }
  });
});

describe('token lifetime: JWT_MAX_AGE_S and iat', () => {
  const verifier = createTokenVerifier({ secret, clockSkewSeconds: 30, maxAgeSeconds: 3600 });

  it('refuses an expiry beyond the maximum age, with or without iat', async () => {
    await expectUnauthorized(verifier.verify(await sign({ sub: 'a', exp: 1e20 })), /longer than the 3600 s/);
    await expectUnauthorized(
      verifier.verify(await sign({ sub: 'a', iat: nowS(), exp: 1e20 })),
      /longer than/,
    );
    await expectUnauthorized(
      verifier.verify(await sign({ sub: 'a', iat: nowS(), exp: nowS() + 3601 })),
      /longer than/,
    );
    await expectUnauthorized(verifier.verify(await sign({ sub: 'a', exp: nowS() + 3700 })), /longer than/);
  });

  it('refuses an old iat whose exp is still far away (exp - iat counts, not exp - now)', async () => {
    await expectUnauthorized(
      verifier.verify(await sign({ sub: 'a', iat: nowS() - 3000, exp: nowS() + 1000 })),
      /longer than/,
    );
  });

  it('refuses an iat in the future beyond the clock skew, tolerates one within it', async () => {
    await expectUnauthorized(
      verifier.verify(await sign({ sub: 'a', iat: nowS() + 600, exp: nowS() + 1200 })),
      /"iat".*future/,
    );
    await expectUnauthorized(verifier.verify(await sign({ sub: 'a', iat: 1e20, exp: nowS() + 60 })), /"iat"/);
    expect((await verifier.verify(await sign({ sub: 'a', iat: nowS() + 10, exp: nowS() + 600 }))).sub).toBe(
      'a',
    );
  });

  it('accepts a token within the maximum age', async () => {
    const token = await sign({ sub: 'a', iat: nowS(), exp: nowS() + 3600 });
    expect(await verifier.verify(token)).toEqual({ sub: 'a', role: 'user' });
  });

  it('the default maximum age refuses a year-long token', async () => {
    const defaults = createTokenVerifier({ secret, clockSkewSeconds: 30 });
    await expectUnauthorized(
      defaults.verify(await sign({ sub: 'a', iat: nowS(), exp: nowS() + 365 * 86_400 })),
      /longer/,
    );
    expect((await defaults.verify(await sign({ sub: 'a', iat: nowS(), exp: nowS() + 43_200 }))).sub).toBe(
      'a',
    );
  });

  it('a refused token is not cached: it stays refused on every try', async () => {
    const token = await sign({ sub: 'a', exp: 1e20 });
    await expectUnauthorized(verifier.verify(token), /longer/);
    await expectUnauthorized(verifier.verify(token), /longer/);
  });

  it('a cached token still expires on time', async () => {
    let clock = Date.now();
    const cached = createTokenVerifier({
      secret,
      clockSkewSeconds: 0,
      maxAgeSeconds: 3600,
      now: () => clock,
    });
    const iat = Math.floor(clock / 1000);
    const token = await sign({ sub: 'a', iat, exp: iat + 30 });
    expect((await cached.verify(token)).sub).toBe('a');
    clock += 20_000;
    expect((await cached.verify(token)).sub).toBe('a');
    clock += 15_000;
    await expectUnauthorized(cached.verify(token), /expired/);
  });
});
