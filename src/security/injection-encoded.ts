// Encoded payloads: an instruction hidden as base64 or hex so that no phrase rule sees it. Small
// blobs are decoded and read again; large ones are left alone (a long base64 run in a document is
// almost always an image or a key, and decoding it would cost time for nothing).

/** Blobs longer than this are not decoded: an instruction fits in far less. */
const MAX_BLOB_CHARS = 2048;
/** At most this many blobs are decoded per text, so a text made of blobs costs a bounded amount. */
const MAX_BLOBS = 8;

// Runs of one class, tried only where a run starts and taken whole: one pass over the text.
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}/g;
const HEX_RUN = /(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{32,}/g;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeBase64(blob: string): string | undefined {
  const standard = blob.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (standard.length % 4 === 1) return undefined;
  try {
    const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
    return utf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function decodeHex(blob: string): string | undefined {
  const digits = blob.startsWith('0x') || blob.startsWith('0X') ? blob.slice(2) : blob;
  if (digits.length % 2 === 1) return undefined;
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// Decoded text worth reading: mostly letters and spaces, as a sentence is (not a hash or an image).
function looksLikeProse(text: string): boolean {
  if (text.length < 12) return false;
  const letters = text.match(/[\p{L}\s]/gu)?.length ?? 0;
  return letters / text.length > 0.8 && /\s/.test(text);
}

/** The readable texts hidden in the small base64 and hex blobs of `text`, at most eight. */
export function decodedBlobs(text: string): string[] {
  const found: string[] = [];
  for (const [pattern, decode] of [
    [HEX_RUN, decodeHex],
    [BASE64_RUN, decodeBase64],
  ] as const) {
    for (const match of text.matchAll(pattern)) {
      if (found.length >= MAX_BLOBS) return found;
      if (match[0].length > MAX_BLOB_CHARS) continue;
      const decoded = decode(match[0]);
      if (decoded !== undefined && looksLikeProse(decoded)) found.push(decoded);
    }
  }
  return found;
}
