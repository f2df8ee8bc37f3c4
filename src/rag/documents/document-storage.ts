import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { Deps } from '../../deps.ts';

/** What one user's documents take in the database, for quotas to read. */
export interface DocumentStorage {
  documents: number;
  /** UTF-8 bytes of the documents as stored (HTML as uploaded, other types as their text). */
  contentBytes: number;
  /** Chunks in every index version that is not retired (a rebuild holds two sets for a while). */
  chunks: number;
  /** Bytes those chunk rows take as stored: text, vector, full-text vector, offsets. */
  chunkBytes: number;
}

/**
 * Counts a user's documents and chunks and the bytes they take. One document can make up to
 * RAG_MAX_CHUNKS_PER_DOCUMENT chunks, each carrying its embedding and full-text vector, so
 * chunks, not uploads, are what fills the database.
 */
export async function documentStorage(deps: Pick<Deps, 'db'>, ownerId: string): Promise<DocumentStorage> {
  const [row] = rowsOf<{ documents: number; content_bytes: string; chunks: number; chunk_bytes: string }>(
    await deps.db.execute(sql`
      select d.documents, d.content_bytes, c.chunks, c.chunk_bytes
      from (select count(*)::int as documents, coalesce(sum(octet_length(content)), 0)::bigint as content_bytes
            from documents where owner_id = ${ownerId}) d,
           (select count(*)::int as chunks, coalesce(sum(pg_column_size(c.*)), 0)::bigint as chunk_bytes
            from chunks c
            where c.owner_id = ${ownerId}
              and c.index_version_id in (select id from index_versions where state <> 'retired')) c`),
  );
  return {
    documents: row?.documents ?? 0,
    contentBytes: Number(row?.content_bytes ?? 0),
    chunks: row?.chunks ?? 0,
    chunkBytes: Number(row?.chunk_bytes ?? 0),
  };
}
