import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';

// Keyset cursors need timestamps at full microsecond precision, which a JS Date would
// truncate: carry them as UTC text instead and compare in SQL.

/** A timestamptz column as exact UTC text, for a cursor. */
export const timestampKey = (column: SQLWrapper): SQL<string> =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;

/** A cursor's UTC text back as a timestamptz. */
export const fromTimestampKey = (key: string): SQL => sql`(${key}::timestamp at time zone 'UTC')`;
