import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../errors.ts';

/**
 * Deletes one of the caller's documents with its chunks and vectors (cascade), in one
 * transaction that also moves every affected version's generation, so cached searches drop it.
 */
export async function deleteDocument(deps: Pick<Deps, 'db'>, input: { ownerId: string; id: string }) {
  await deps.db.transaction(async (tx) => {
    const [doc] = rowsOf<{ id: string }>(
      await tx.execute(
        sql`select id from documents where id = ${input.id} and owner_id = ${input.ownerId} for update`,
      ),
    );
    if (!doc) throw notFound(`Document ${input.id} does not exist.`);
    const perVersion = rowsOf<{ version: number; count: number }>(
      await tx.execute(sql`
        select index_version_id as version, count(*)::int as count from chunks
        where document_id = ${input.id} group by index_version_id order by index_version_id`),
    );
    await tx.execute(sql`delete from documents where id = ${input.id}`);
    for (const { version, count } of perVersion) {
      await tx.execute(sql`
        update index_versions set generation = generation + 1, chunk_count = chunk_count - ${count}, updated_at = now()
        where id = ${version}`);
    }
  });
}
