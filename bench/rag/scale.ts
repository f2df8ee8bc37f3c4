import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { indexVersions } from '../../src/db/schema.ts';
import { dropVectorIndex } from '../../src/rag/index-versions/vector-index.ts';

const countChunks = async (db: Database, versionId: number) =>
  Number(
    rowsOf<{ n: number }>(
      await db.execute(sql`select count(*)::int as n from chunks where index_version_id = ${versionId}`),
    )[0]?.n ?? 0,
  );

/**
 * Grows the active version to at least `target` chunks with perturbed copies of its own chunks
 * (same owner, text and full-text vector; each embedding moved by a little noise so HNSW does
 * not see exact duplicates). The vector index is dropped first: load first, index after.
 */
export async function growWithCopies(db: Database, versionId: number, target: number): Promise<number> {
  await dropVectorIndex(db, versionId);
  await db.update(indexVersions).set({ vectorIndexedAt: null }).where(eq(indexVersions.id, versionId));
  for (
    let count = await countChunks(db, versionId);
    count < target;
    count = await countChunks(db, versionId)
  ) {
    await db.execute(sql`
      insert into chunks (document_id, index_version_id, owner_id, ordinal, text, token_count, char_start, char_end,
                          heading_path, embedding, weighted_tsv)
      select document_id, index_version_id, owner_id, ordinal, text, token_count, char_start, char_end, heading_path,
             (select array_agg(x + (random() - 0.5) * 0.1) from unnest(embedding::real[]) as x)::vector, weighted_tsv
      from chunks where index_version_id = ${versionId}
      limit ${target - count}`);
  }
  const total = await countChunks(db, versionId);
  await db
    .update(indexVersions)
    .set({ chunkCount: total, generation: sql`${indexVersions.generation} + 1` })
    .where(eq(indexVersions.id, versionId));
  return total;
}
