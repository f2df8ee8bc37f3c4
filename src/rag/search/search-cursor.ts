import { z } from 'zod';
import { conflict } from '../../errors.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../../http/cursor.ts';
import type { SearchAfter } from './search-query.ts';

const cursorSchema = z.object({
  v: z.number().int(),
  w: z.number().int(),
  h: z.string(),
  k: z.number(),
  i: z.number().int(),
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
  const c = decodeCursor(cursor, cursorSchema, '/body/cursor');
  if (c.h !== requestHash) throw invalidCursor('/body/cursor');
  if (c.v !== activeVersionId) {
    throw conflict(
      'The index was rebuilt since this cursor was issued; start the search again without a cursor.',
    );
  }
  return { versionId: c.v, watermark: c.w, after: { key: c.k, id: c.i } };
}
