import { z } from '@hono/zod-openapi';
import { type AnyColumn, desc, type SQL, sql } from 'drizzle-orm';
import { base64url } from 'jose';
import { fromTimestampKey, timestampKey } from '../db/timestamp-key.ts';
import { badRequest } from '../errors.ts';

/** The query of a cursor-paginated list: `limit` (1-100, default 20) and the opaque `cursor`. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

/** A cursor-paginated list response: `items` and `next_cursor`, null at the end (docs/conventions.md). */
export const pageSchema = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: 'Pass back as `cursor`; null on the last page.' }),
    })
    .openapi(name);

/** What a list service is asked for: the page size and the cursor of the previous page, if any. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** A page as services return it; handlers answer it as `{ items, next_cursor }`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A service's page as the list response's body. */
export const toPageResponse = <T, R>(page: Page<T>, toItem: (item: T) => R) => ({
  items: page.items.map(toItem),
  next_cursor: page.nextCursor,
});

// Cursors are opaque to clients: base64url of a small JSON object.

export const encodeCursor = (value: object): string => base64url.encode(JSON.stringify(value));

export const invalidCursor = (pointer: string) =>
  badRequest('The cursor is not valid; pass back a next_cursor from an earlier response.', [
    { pointer, detail: 'invalid cursor' },
  ]);

/**
 * Decodes a cursor this API issued. Anything else (not base64url, not UTF-8 JSON, or fields that
 * fail `schema`) is a 400 pointing at `pointer`, so a crafted cursor never reaches SQL.
 */
export function decodeCursor<T extends z.ZodType>(value: string, schema: T, pointer: string): z.output<T> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(value)),
    );
  } catch {
    throw invalidCursor(pointer);
  }
  const parsed = schema.safeParse(decoded);
  if (!parsed.success) throw invalidCursor(pointer);
  return parsed.data;
}

const TIMESTAMP_KEY = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}$/;

// Exactly the text timestampKey() produces, for a real UTC calendar time from 1970 on: SQL casts it,
// and `infinity`, year 0 or 30 February would otherwise get through or fail there as a 500.
const isTimestampKey = (text: string) => {
  const parts = TIMESTAMP_KEY.exec(text)?.slice(1).map(Number);
  if (!parts) return false;
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    year >= 1970 &&
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    time.getUTCHours() === hour &&
    time.getUTCMinutes() === minute &&
    time.getUTCSeconds() === second
  );
};

// How a cursor carries the row's id: a uuid as it is, a bigint identity as decimal text (never a
// JSON number, which a client could craft; 18 digits always fit a bigint).
const cursorIds = {
  uuid: { schema: z.uuid(), cast: (id: string) => sql`${id}::uuid` },
  bigint: { schema: z.string().regex(/^[1-9][0-9]{0,17}$/), cast: (id: string) => sql`${id}::bigint` },
  // Text keys (user ids, JWT subjects), bounded as subjects are.
  text: { schema: z.string().min(1).max(4096), cast: (id: string) => sql`${id}::text` },
};

const keysetCursorSchemas = {
  uuid: z.strictObject({ t: z.string().refine(isTimestampKey), i: cursorIds.uuid.schema }),
  bigint: z.strictObject({ t: z.string().refine(isTimestampKey), i: cursorIds.bigint.schema }),
  text: z.strictObject({ t: z.string().refine(isTimestampKey), i: cursorIds.text.schema }),
};

/** What keysetPage hands a list's query to build it with. */
export interface Keyset {
  /** Select it as `sortKey`: the row's timestamp at full precision, for the next cursor. */
  sortKey: SQL<string>;
  /** AND it into the filter: the rows after the cursor; undefined on the first page. */
  after: SQL | undefined;
  orderBy: SQL[];
  /** One row more than the page, to know whether another page follows. */
  limit: number;
}

/**
 * One page of a list ordered newest first by (timestamp, id). Keyset pagination: the cursor holds
 * the last row's position, so rows inserted meanwhile never shift or repeat a page. `fetch` runs
 * the list's own query with the keyset's pieces; `toItem` turns a row into the domain object.
 */
export async function keysetPage<Row extends { id: string | number; sortKey: string }, Item>(
  request: PageRequest,
  columns: {
    timestamp: AnyColumn;
    id: AnyColumn;
    /** The id column's type: uuid unless said (bigint for identity columns, text for user ids). */
    idType?: 'uuid' | 'bigint' | 'text';
  },
  fetch: (keyset: Keyset) => Promise<Row[]>,
  toItem: (row: Row) => Item,
): Promise<Page<Item>> {
  const idType = columns.idType ?? 'uuid';
  const after = request.cursor
    ? decodeCursor(request.cursor, keysetCursorSchemas[idType], '/query/cursor')
    : undefined;
  const rows = await fetch({
    sortKey: timestampKey(columns.timestamp),
    after:
      after &&
      sql`(${columns.timestamp}, ${columns.id}) < (${fromTimestampKey(after.t)}, ${cursorIds[idType].cast(after.i)})`,
    orderBy: [desc(columns.timestamp), desc(columns.id)],
    limit: request.limit + 1,
  });
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextCursor:
      rows.length > request.limit && last ? encodeCursor({ t: last.sortKey, i: String(last.id) }) : null,
  };
}
