// Stripe's webhook signature scheme (`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`,
// the HMAC taken over `<t>.<raw body>`), on Web Crypto so it runs on workerd and Node alike.

const encoder = new TextEncoder();
// A real header holds a timestamp and one or two v1 entries; anything far longer is not one.
const MAX_HEADER_CHARS = 2048;
const MAX_SIGNATURES = 8;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Why a signature was refused, or `valid`. */
export type SignatureVerdict = 'valid' | 'malformed' | 'stale' | 'mismatch';

interface ParsedHeader {
  timestamp: number;
  signatures: Uint8Array[];
}

const fromHex = (hex: string) => {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
};

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** `t` and every well-formed `v1`; other schemes (v0, future ones) are skipped as Stripe's libraries do. */
function parseHeader(header: string): ParsedHeader | null {
  if (header.length > MAX_HEADER_CHARS) return null;
  let timestamp: number | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1' && HEX_SHA256.test(value) && signatures.length < MAX_SIGNATURES) {
      signatures.push(fromHex(value));
    }
  }
  return timestamp === undefined || signatures.length === 0 ? null : { timestamp, signatures };
}

async function hmac(secret: string, timestamp: number, payload: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + payload.byteLength);
  signed.set(prefix);
  signed.set(payload, prefix.byteLength);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, signed));
}

// Compares every byte whatever the first difference, so timing says nothing about the expected value.
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Checks a `Stripe-Signature` header against the raw body: any matching v1 signature is accepted
 * (the provider sends several while it rolls a secret), and the timestamp must be within
 * `toleranceS` of now, either way, so a captured request cannot be replayed later.
 */
export async function verifySignature(input: {
  header: string | undefined;
  payload: Uint8Array;
  secret: string;
  toleranceS: number;
  now: Date;
}): Promise<SignatureVerdict> {
  const parsed = input.header === undefined ? null : parseHeader(input.header);
  if (!parsed) return 'malformed';
  if (Math.abs(input.now.getTime() / 1000 - parsed.timestamp) > input.toleranceS) return 'stale';
  const expected = await hmac(input.secret, parsed.timestamp, input.payload);
  let matched = false;
  // Every candidate is compared (no early exit), so timing does not tell which one matched.
  for (const signature of parsed.signatures) matched = constantTimeEqual(expected, signature) || matched;
  return matched ? 'valid' : 'mismatch';
}

/** The header value that signs `payload` at `timestamp` (unix seconds), for outbound webhooks. */
export async function signatureHeader(secret: string, payload: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${toHex(await hmac(secret, timestamp, encoder.encode(payload)))}`;
}
