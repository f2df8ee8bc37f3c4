import type { z } from 'zod';
import { badRequest } from '../errors.ts';

// Cursors are opaque to clients: base64url of a small JSON object.

const toBase64Url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const fromBase64Url = (value: string) =>
  new TextDecoder().decode(
    Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
  );

export const encodeCursor = (value: object): string => toBase64Url(JSON.stringify(value));

export const invalidCursor = (pointer: string) =>
  badRequest('The cursor is not valid; pass back a next_cursor from an earlier response.', [
    { pointer, detail: 'invalid cursor' },
  ]);

/** Decodes a cursor this API issued; anything else is a 400 pointing at `pointer`. */
export function decodeCursor<T extends z.ZodType>(value: string, schema: T, pointer: string): z.infer<T> {
  try {
    const parsed = schema.safeParse(JSON.parse(fromBase64Url(value)));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the 400 below
  }
  throw invalidCursor(pointer);
}
