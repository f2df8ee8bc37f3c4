import { describe, expect, it } from 'vitest';
import { redactSecrets, redactSecretsIn } from '../../../src/security/secret-scan.ts';
import { expectLinearParse } from '../../helpers/responsiveness.ts';
import { alnum, b64url, SAMPLES, upper } from '../../integration/security/fake-secrets.ts';

describe('redactSecrets', () => {
  for (const [kind, secret] of Object.entries(SAMPLES)) {
    it(`replaces a ${kind} inside text with [redacted:${kind}]`, () => {
      const scan = redactSecrets(`before ${secret} after`);
      expect(scan.text).toBe(`before ${kind === 'bearer_token' ? 'Bearer ' : ''}[redacted:${kind}] after`);
      expect(scan.kinds).toEqual([kind]);
    });
  }

  it('catches the other published prefixes', () => {
    const texts = [
      `${'sk'}-proj-${b64url(48)}`,
      `${'github'}_pat_${alnum(22)}_${alnum(59)}`,
      `${'rk'}_live_${alnum(24)}`,
      `${'wh'}sec_${alnum(32)}`,
      `${'AS'}IA${upper(16)}`,
    ];
    for (const text of texts) expect(redactSecrets(`key=${text};`).text).toMatch(/^key=\[redacted:\w+\];$/);
  });

  it('redacts a JWT whose signature is empty and a private key cut short', () => {
    const jwt = SAMPLES.jwt;
    expect(redactSecrets(`${jwt.slice(0, jwt.lastIndexOf('.') + 1)} end`).text).toBe('[redacted:jwt] end');
    const cut = `-----BEGIN PRIVATE KEY-----\n${alnum(50)}`;
    expect(redactSecrets(cut).text).toBe('[redacted:private_key]');
  });

  it('leaves ordinary text alone: prose, ids, short tokens, words that merely start alike', () => {
    const text =
      'Ask for a Bearer token. The sk-1 task, AKIA is a prefix, ghp_short, eyJ alone, task-sk-list, whsec_ and my-sk-key.';
    expect(redactSecrets(text)).toEqual({ text, kinds: [] });
    expect(
      redactSecrets('chunk ids 12345, sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'),
    ).toEqual({
      text: 'chunk ids 12345, sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      kinds: [],
    });
  });

  it('does not start a match inside a longer token', () => {
    const glued = `x${SAMPLES.openai_key}`;
    expect(redactSecrets(glued).text).toBe(glued);
  });

  it('scans adversarial inputs in linear time', async () => {
    // Each about n characters: runs of token characters, prefixes repeated, markers without ends.
    const inputs: ((n: number) => string)[] = [
      (n) => 'eyJ'.repeat(n / 3),
      (n) => `eyJ${'a'.repeat(n / 2)}.eyJ${'a'.repeat(n / 2)}`,
      (n) => '-----BEGIN PRIVATE KEY-----'.repeat(n / 27),
      (n) => `-----BEGIN PRIVATE KEY-----${'A'.repeat(n)}`,
      (n) => 'Bearer '.repeat(n / 7),
      (n) => `Bearer ${' '.repeat(n)}`,
      (n) => 'sk-'.repeat(n / 3),
      (n) => 'xoxb-'.repeat(n / 5),
      (n) => 'a'.repeat(n),
    ];
    for (const build of inputs) await expectLinearParse(build, redactSecrets, 100_000);
  });
});

describe('redactSecretsIn', () => {
  it('redacts every string of a JSON value, keys kept, and reports the kinds once each', () => {
    const value = {
      headers: { authorization: SAMPLES.bearer_token },
      items: [{ token: SAMPLES.jwt }, { note: `again ${SAMPLES.jwt}` }, 7, null],
    };
    const out = redactSecretsIn(value);
    expect(out.value).toEqual({
      headers: { authorization: 'Bearer [redacted:bearer_token]' },
      items: [{ token: '[redacted:jwt]' }, { note: 'again [redacted:jwt]' }, 7, null],
    });
    expect(out.kinds.sort()).toEqual(['bearer_token', 'jwt']);
  });

  it('returns a clean value as it was, not a copy', () => {
    const value = { a: ['plain', { b: 1 }] };
    const out = redactSecretsIn(value);
    expect(out.value).toBe(value);
    expect(out.kinds).toEqual([]);
  });
});
