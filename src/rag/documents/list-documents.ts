import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { documents } from '../../db/schema.ts';
import type { DocumentStatus } from '../../db/tables/rag.ts';
import { fromTimestampKey, timestampKey } from '../../db/timestamp-key.ts';
import type { Deps } from '../../deps.ts';
import { decodeCursor, encodeCursor } from '../../http/cursor.ts';
import { documentColumns } from './document-columns.ts';
import { type DocumentView, documentView } from './document-view.ts';

const cursorSchema = z.object({ t: z.string(), i: z.uuid() });

/** The caller's documents, newest first; keyset pagination, so inserts never shift a page. */
export async function listDocuments(
  deps: Pick<Deps, 'db'>,
  input: { ownerId: string; limit: number; cursor?: string | undefined; status?: DocumentStatus | undefined },
): Promise<{ items: DocumentView[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor, cursorSchema, '/query/cursor') : undefined;
  const rows = await deps.db
    .select({ ...documentColumns, key: timestampKey(documents.createdAt) })
    .from(documents)
    .where(
      and(
        eq(documents.ownerId, input.ownerId),
        input.status ? eq(documents.status, input.status) : undefined,
        after
          ? sql`(${documents.createdAt}, ${documents.id}) < (${fromTimestampKey(after.t)}, ${after.i}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(documents.createdAt), desc(documents.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(documentView),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ t: last.key, i: last.id }) : null,
  };
}
