import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import type { IndexVersion } from '../index-versions/index-version.ts';

export interface ChunkRow {
  ordinal: number;
  text: string;
  token_count: number;
  char_start: number;
  char_end: number;
  heading_path: string[];
  /** The heading path as indexed (weight B): without the title it may repeat. */
  headings: string;
  embedding: string;
}

export type StoreResult =
  | {
      status: 'stored';
      versionState: IndexVersion['state'];
      versionChunkCount: number;
      vectorIndexed: boolean;
    }
  | { status: 'stale' | 'gone' };

// Rows per INSERT: keeps each statement's JSON parameter a few MB at most.
const INSERT_BATCH = 500;

class Rollback extends Error {}

/**
 * Replaces a document's chunks in one index version, atomically: a concurrent search sees
 * the old set or the new one, never both or neither. The document row lock serialises
 * duplicate deliveries, so running this twice leaves exactly one set. 'stale' means the
 * document changed since it was chunked; 'gone' that it or the version no longer takes writes.
 */
export async function storeChunks(
  db: Database,
  input: {
    documentId: string;
    ownerId: string;
    /** The document title, indexed with every chunk (weight A). */
    title: string;
    contentHash: string;
    versionId: number;
    rows: ChunkRow[];
  },
): Promise<StoreResult> {
  const { documentId, versionId } = input;
  try {
    return await db.transaction(async (tx) => {
      // Asynchronous commit: the job's completion, committed synchronously right after, flushes
      // this commit too, and a crash before it leaves the job to run again. Waiting for the flush
      // here would hold the version row (below) locked through a disk write, one job after another.
      const [doc] = rowsOf<{ content_hash: string }>(
        await tx.execute(sql`
          select content_hash, set_config('synchronous_commit', 'off', true)
          from documents where id = ${documentId} for update`),
      );
      if (!doc) return { status: 'gone' as const };
      if (doc.content_hash !== input.contentHash) return { status: 'stale' as const };
      const deleted = rowsOf<{ id: unknown }>(
        await tx.execute(
          sql`delete from chunks where document_id = ${documentId} and index_version_id = ${versionId} returning id`,
        ),
      ).length;
      for (let i = 0; i < input.rows.length; i += INSERT_BATCH) {
        const batch = JSON.stringify(input.rows.slice(i, i + INSERT_BATCH));
        await tx.execute(sql`
          insert into chunks (document_id, index_version_id, owner_id, ordinal, text, token_count,
                              char_start, char_end, heading_path, embedding, weighted_tsv)
          select ${documentId}, ${versionId}, ${input.ownerId}, r.ordinal, r.text, r.token_count,
                 r.char_start, r.char_end, r.heading_path, r.embedding::vector,
                 t.title || setweight(to_tsvector('english', r.headings), 'B') || setweight(to_tsvector('english', r.text), 'D')
          from (select setweight(to_tsvector('english', ${input.title}), 'A') as title) t,
               jsonb_to_recordset(${batch}::jsonb) as r(ordinal int, text text, token_count int, char_start int,
               char_end int, heading_path text[], headings text, embedding text)`);
      }
      const count = input.rows.length;
      // The ledger, the version's counts and the document in one statement. The version row is
      // locked last (its update is the outer query), so only briefly.
      const [version] = rowsOf<{ state: IndexVersion['state']; chunk_count: number; indexed: boolean }>(
        await tx.execute(sql`
          with ledger as (
            insert into document_ingestions (document_id, index_version_id, content_hash, chunk_count)
            values (${documentId}, ${versionId}, ${input.contentHash}, ${count})
            on conflict (document_id, index_version_id)
            do update set content_hash = excluded.content_hash, chunk_count = excluded.chunk_count, ingested_at = now()
          ), version as (
            update index_versions
            set generation = generation + 1, chunk_count = chunk_count + ${count - deleted}, updated_at = now()
            where id = ${versionId}
            returning state, chunk_count, vector_indexed_at is not null as indexed
          ), ready as (
            update documents
            set status = 'ready', error = null, chunk_count = ${count}, chunks_total = ${count},
                chunks_embedded = ${count}, ingested_at = now(), updated_at = now()
            where id = ${documentId} and exists (select 1 from version where state = 'active')
          )
          select state, chunk_count, indexed from version`),
      );
      // A version retired meanwhile takes nothing.
      if (!version || version.state === 'retired') throw new Rollback();
      return {
        status: 'stored' as const,
        versionState: version.state,
        versionChunkCount: Number(version.chunk_count),
        vectorIndexed: Boolean(version.indexed),
      };
    });
  } catch (error) {
    if (error instanceof Rollback) return { status: 'gone' };
    throw error;
  }
}
