import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { type SearchScope, vectorRanking } from '../../src/rag/search/search-query.ts';

async function topIds(db: Database, scope: SearchScope, vector: string, efSearch: number, exact: boolean) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('hnsw.ef_search', ${String(efSearch)}, true),
      set_config('hnsw.iterative_scan', 'strict_order', true),
      set_config('enable_indexscan', ${exact ? 'off' : 'on'}, true)`);
    return rowsOf<{ id: string }>(await tx.execute(vectorRanking(scope, vector, 10))).map((r) =>
      Number(r.id),
    );
  });
}

/** HNSW recall@10: the share of the exact top 10 (sequential scan) that the index scan returns, averaged. */
export async function hnswRecallAt10(db: Database, scope: SearchScope, vectors: string[], efSearch: number) {
  let found = 0;
  for (const vector of vectors) {
    const exact = new Set(await topIds(db, scope, vector, efSearch, true));
    const approximate = await topIds(db, scope, vector, efSearch, false);
    found += approximate.filter((id) => exact.has(id)).length / Math.max(1, exact.size);
  }
  return Math.round((found / vectors.length) * 1000) / 1000;
}
