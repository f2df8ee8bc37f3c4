import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { invalidIdempotencyKey } from '../guard-errors.ts';

const MAX_KEY_LENGTH = 255;
// Visible ASCII without space, double quote and backslash: safe in logs and in a structured-field string.
const keyCharacters = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Validates an Idempotency-Key header value. The IETF draft sends it as a structured-field
 * string (`"8e03978e-..."`); most clients send it bare (Stripe style); both name the same key.
 */
export function parseIdempotencyKey(header: string): string {
  let value = header.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (value === '') throw invalidIdempotencyKey('must not be empty');
  if (value.length > MAX_KEY_LENGTH)
    throw invalidIdempotencyKey(`must be at most ${MAX_KEY_LENGTH} characters`);
  if (!keyCharacters.test(value)) {
    throw invalidIdempotencyKey('must be visible ASCII characters without spaces, quotes or backslashes');
  }
  return value;
}

const encoder = new TextEncoder();

// Web Crypto's digest is a thread-pool round trip on Node (25 to 40 µs even for a few bytes);
// the pure-JS hash does a typical API body in 2 to 3 µs. Large bodies (uploads) go to Web
// Crypto, which hashes them at native speed off the event loop.
const IN_PROCESS_HASH_BYTES = 64 * 1024;
const webCryptoSha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

// Each part is length-prefixed so that ("ab", "c") and ("a", "bc") never hash alike.
async function sha256Hex(parts: (string | Uint8Array)[]): Promise<string> {
  const bytes = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part));
  const joined = new Uint8Array(bytes.reduce((n, b) => n + 4 + b.byteLength, 0));
  const view = new DataView(joined.buffer);
  let offset = 0;
  for (const b of bytes) {
    view.setUint32(offset, b.byteLength);
    joined.set(b, offset + 4);
    offset += 4 + b.byteLength;
  }
  const digest = joined.byteLength <= IN_PROCESS_HASH_BYTES ? sha256(joined) : await webCryptoSha256(joined);
  return bytesToHex(digest);
}

/**
 * The storage key: one caller's key on one route never meets another caller's or route's.
 * `path` is the matched route's path template (`/analyze`), not the request's path, so
 * `/analyze/` or another spelling of the same route shares the key.
 */
export function scopedKey(input: {
  userId: string;
  method: string;
  path: string;
  key: string;
}): Promise<string> {
  return sha256Hex(['idempotency-key/v1', input.userId, input.method, input.path, input.key]);
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;

const startsWithAt = (body: Uint8Array, pattern: Uint8Array, at: number) => {
  if (at + pattern.byteLength > body.byteLength) return false;
  for (let j = 0; j < pattern.byteLength; j++) if (body[at + j] !== pattern[j]) return false;
  return true;
};

/**
 * The body with the boundary cut out of its delimiter lines only (RFC 2046: "--" boundary at
 * the start of the body or of a line, then "--" on the last one, blanks, and the line end). The
 * boundary anywhere else is content: cutting it there too made different uploads look alike.
 */
function withoutDelimiters(body: Uint8Array, boundary: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength);
  let length = 0;
  let copiedTo = 0;
  for (let line = 0; line < body.byteLength; ) {
    const start = line + 2;
    const next = body.indexOf(LF, line);
    if (body[line] === DASH && body[line + 1] === DASH && startsWithAt(body, boundary, start)) {
      const end = start + boundary.byteLength;
      let after = end;
      if (body[after] === DASH && body[after + 1] === DASH) after += 2;
      while (body[after] === SPACE || body[after] === TAB) after++;
      if (after >= body.byteLength || body[after] === CR || body[after] === LF) {
        out.set(body.subarray(copiedTo, start), length);
        length += start - copiedTo;
        copiedTo = end;
      }
    }
    if (next === -1) break;
    line = next + 1;
  }
  out.set(body.subarray(copiedTo), length);
  length += body.byteLength - copiedTo;
  return out.subarray(0, length);
}

/**
 * What makes two requests "the same" for a key: method, path and query, media type and
 * body bytes. A multipart boundary is random per send, so it is cut out of the delimiter lines
 * first: a client retrying the same upload must not be told it sent a different request.
 */
export function requestFingerprint(input: {
  method: string;
  pathAndQuery: string;
  contentType: string | undefined;
  body: Uint8Array;
}): Promise<string> {
  const contentType = input.contentType ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const boundary = /;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  const body =
    mediaType === 'multipart/form-data' && boundary
      ? withoutDelimiters(input.body, encoder.encode(boundary))
      : input.body;
  return sha256Hex([input.method, input.pathAndQuery, mediaType, body]);
}
