// Fake credentials in each issuer's format, built from parts so no scanner mistakes this file for a leak.
export const b64url = (n: number) => 'AbCdEf0123456789_-'.repeat(Math.ceil(n / 18)).slice(0, n);
export const alnum = (n: number) => 'aB3dE5gH7jK9mN1pQ2'.repeat(Math.ceil(n / 18)).slice(0, n);
export const upper = (n: number) => 'ABCDEFGHIJ2345678XYZ'.repeat(Math.ceil(n / 20)).slice(0, n);

const jwt = `${['ey', 'J'].join('')}hbGciOiJIUzI1NiJ9.${['ey', 'J'].join('')}zdWIiOiJhbGljZSJ9.${b64url(43)}`;

/** One fake credential per kind the scanner knows, keyed by kind. */
export const SAMPLES = {
  openai_key: `${'sk'}-${b64url(40)}`,
  github_token: `${'gh'}p_${alnum(36)}`,
  slack_token: `${'xo'}xb-${alnum(12)}-${alnum(24)}`,
  stripe_key: `${'sk'}_live_${alnum(24)}`,
  aws_access_key: `${'AK'}IA${upper(16)}`,
  google_api_key: `${'AI'}za${b64url(35)}`,
  jwt,
  private_key: `-----BEGIN ${'RSA'} PRIVATE KEY-----\nMIIEow${alnum(60)}\n${alnum(40)}==\n-----END RSA PRIVATE KEY-----`,
  bearer_token: `Bearer ${alnum(32)}`,
} satisfies Record<string, string>;
