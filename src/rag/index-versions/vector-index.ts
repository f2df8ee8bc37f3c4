import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { indexVersions } from '../../db/schema.ts';
import type { IndexVersion } from './index-version.ts';

// Identifiers and dimensions come from integer columns of our own table, never from a
// request, so they can be spliced into DDL and into the query text. They must be literals
// in queries too: a partial index is only usable when the planner sees the constant.

export const vectorIndexName = (versionId: number) => `chunks_embedding_v${Math.trunc(versionId)}_hnsw`;

/** The indexed expression: the untyped column (of chunks aliased `c`) cast to the version's dimension. */
export const embeddingExpression = (dimensions: number) =>
  sql.raw(`(c.embedding::vector(${Math.trunc(dimensions)}))`);

export const versionLiteral = (versionId: number) => sql.raw(String(Math.trunc(versionId)));

/**
 * Builds the version's HNSW index (cosine) over its rows, then refreshes planner statistics.
 * Building once after a bulk load is several times faster than maintaining it per insert.
 */
export async function createVectorIndex(db: Database, version: Pick<IndexVersion, 'id' | 'dimensions'>) {
  const id = Math.trunc(version.id);
  await db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local maintenance_work_mem = '128MB'`));
    // May take minutes on a large version: bounded by the job's JOB_TIMEOUT_MS, not DB_STATEMENT_TIMEOUT_MS.
    await tx.execute(sql.raw('set local statement_timeout = 0'));
    await tx.execute(
      sql.raw(
        `create index if not exists ${vectorIndexName(id)} on chunks using hnsw ` +
          `((embedding::vector(${Math.trunc(version.dimensions)})) vector_cosine_ops) ` +
          `with (m = 16, ef_construction = 64) where index_version_id = ${id}`,
      ),
    );
    await tx.update(indexVersions).set({ vectorIndexedAt: sql`now()` }).where(eq(indexVersions.id, id));
  });
  await db.execute(sql`analyze chunks`);
}

export async function dropVectorIndex(db: Database, versionId: number) {
  await db.execute(sql.raw(`drop index if exists ${vectorIndexName(versionId)}`));
}
