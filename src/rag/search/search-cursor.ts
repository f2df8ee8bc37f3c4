import { z } from 'zod';
import { conflict } from '../../errors.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../../http/pagination.ts';
import type { SearchAfter } from './search-query.ts';

const POINTER = '/body/cursor';

// Every field reaches SQL as a parameter: ids stay within their column types, the key is finite.
const cursorSchema = z.strictObject({
  v: z
    .int()
    .min(1)
    .max(2 ** 31 - 1),
  w: z.int().min(0),
  h: z.string().regex(/^[0-9a-f]{16}$/),
  k: z.number(),
  i: z.int().min(1),
});

export interface SearchPosition {
  versionId: number;
  watermark: number;
  after: SearchAfter;
}

/** A cursor fixes the index version, the chunk watermark and the request it belongs to. */
export const encodeSearchCursor = (position: SearchPosition, requestHash: string) =>
  encodeCursor({
    v: position.versionId,
    w: position.watermark,
    h: requestHash,
    k: position.after.key,
    i: position.after.id,
  });

/**
 * Reads a cursor for this request. One issued for another query is a 400; one issued
 * before the active index version changed is a 409 (its ranking no longer exists).
 */
export function decodeSearchCursor(
  cursor: string,
  requestHash: string,
  activeVersionId: number,
): SearchPosition {
  const c = decodeCursor(cursor, cursorSchema, POINTER);
  if (c.h !== requestHash) throw invalidCursor(POINTER);
  if (c.v !== activeVersionId) {
    throw conflict(
      'The index was rebuilt since this cursor was issued; start the search again without a cursor.',
    );
  }
  return { versionId: c.v, watermark: c.w, after: { key: c.k, id: c.i } };
}
