import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { Deps } from '../../deps.ts';
import { versionLiteral } from '../index-versions/vector-index.ts';

/** A stemmed query word with its inverse document frequency among the caller's chunks. */
export interface WeightedTerm {
  lexeme: string;
  idf: number;
  /** How many of the caller's chunks contain it. */
  df: number;
}

// Words the planner's statistics list as common (ANALYZE keeps the most common lexemes of `tsv`
// with their frequencies) are estimated from them; the others are rare, and counted exactly up to
// this many chunks through the GIN index. A common word never costs a scan of thousands of rows.
const COUNT_CAP = 1000;

/**
 * The query's lexemes (stemmed like the index) weighted by BM25's IDF over the caller's chunks in
 * this version, so rare words count for more than words found everywhere. Cached for
 * RAG_CACHE_TTL_S: IDF tolerates staleness.
 */
export async function queryTerms(
  deps: Pick<Deps, 'db' | 'ragCache'>,
  scope: { versionId: number; ownerId: string },
  query: string,
): Promise<WeightedTerm[]> {
  const key = `${scope.versionId}\u0000${scope.ownerId}\u0000${query}`;
  const cached = deps.ragCache.terms.get(key);
  if (cached) return cached;
  const total = await ownerChunkCount(deps, scope);
  const mine = sql`c.index_version_id = ${versionLiteral(scope.versionId)} and c.owner_id = ${scope.ownerId}`;
  const rows = rowsOf<{ lexeme: string; frequency: number | null; counted: number | null }>(
    await deps.db.execute(sql`
      with q as (select distinct lexeme from unnest(tsvector_to_array(to_tsvector('english', ${query}))) as lexeme),
      stats as (
        select most_common_elems::text::text[] as elems, most_common_elem_freqs as freqs
        from pg_stats where schemaname = current_schema() and tablename = 'chunks' and attname = 'tsv')
      select lexeme, frequency,
             case when frequency is null then (select count(*)::int from (
               select 1 from chunks c where ${mine} and c.tsv @@ ${lexemeQuery(sql`lexeme`)} limit ${COUNT_CAP}) hits)
             end as counted
      from (select q.lexeme, (select s.freqs[array_position(s.elems, q.lexeme)] from stats s) as frequency from q) f`),
  );
  const terms = rows
    .map((r) => {
      const df =
        r.frequency === null ? Number(r.counted) : Math.max(1, Math.round(Number(r.frequency) * total));
      return { lexeme: r.lexeme, idf: Math.log(1 + (total - df + 0.5) / (df + 0.5)), df };
    })
    .filter((t) => t.df > 0)
    .sort((a, b) => a.lexeme.localeCompare(b.lexeme));
  deps.ragCache.terms.set(key, terms);
  return terms;
}

async function ownerChunkCount(
  deps: Pick<Deps, 'db' | 'ragCache'>,
  scope: { versionId: number; ownerId: string },
) {
  const key = `${scope.versionId}\u0000${scope.ownerId}`;
  const cached = deps.ragCache.chunkCounts.get(key);
  if (cached) return cached.chunks;
  const [row] = rowsOf<{ n: number }>(
    await deps.db.execute(sql`
      select count(*)::int as n from chunks c
      where c.index_version_id = ${versionLiteral(scope.versionId)} and c.owner_id = ${scope.ownerId}`),
  );
  const total = Number(row?.n ?? 0);
  deps.ragCache.chunkCounts.set(key, { chunks: total });
  return total;
}

/** A lexeme as a one-word tsquery, quoted so that no character in it reads as an operator. */
export const lexemeQuery = (lexeme: ReturnType<typeof sql>) =>
  sql`('''' || replace(${lexeme}, '''', '''''') || '''')::tsquery`;
