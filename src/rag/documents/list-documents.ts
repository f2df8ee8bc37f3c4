import { and, eq } from 'drizzle-orm';
import { documents } from '../../db/schema.ts';
import type { DocumentStatus } from '../../db/tables/rag.ts';
import type { Deps } from '../../deps.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import { type DocumentRecord, documentColumns } from './document-record.ts';

/** The caller's documents, newest first, optionally only those in one status. */
export async function listDocuments(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & { ownerId: string; status?: DocumentStatus | undefined },
): Promise<Page<DocumentRecord>> {
  return keysetPage(
    input,
    { timestamp: documents.createdAt, id: documents.id },
    (keyset) =>
      deps.db
        .select({ ...documentColumns, sortKey: keyset.sortKey })
        .from(documents)
        .where(
          and(
            eq(documents.ownerId, input.ownerId),
            input.status ? eq(documents.status, input.status) : undefined,
            keyset.after,
          ),
        )
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...document }) => document,
  );
}
