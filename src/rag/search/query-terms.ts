import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { Deps } from '../../deps.ts';
import { versionLiteral } from '../index-versions/vector-index.ts';

/** A stemmed query word with its inverse document frequency among the caller's chunks. */
export interface WeightedTerm {
  lexeme: string;
  idf: number;
  /** Share of the caller's chunks containing it. */
  share: number;
}

/**
 * The query's lexemes (stemmed like the index) weighted by BM25's IDF over the caller's chunks in
 * this version, so rare words count for more than words found everywhere. Document frequencies
 * come from the GIN index and are cached for RAG_CACHE_TTL_S: IDF tolerates staleness.
 */
export async function queryTerms(
  deps: Pick<Deps, 'db' | 'ragCache'>,
  scope: { versionId: number; ownerId: string },
  query: string,
): Promise<WeightedTerm[]> {
  const key = `${scope.versionId}\u0000${scope.ownerId}\u0000${query}`;
  const cached = deps.ragCache.terms.get(key);
  if (cached) return cached;
  const mine = sql`c.index_version_id = ${versionLiteral(scope.versionId)} and c.owner_id = ${scope.ownerId}`;
  const rows = rowsOf<{ lexeme: string; df: number; total: number }>(
    await deps.db.execute(sql`
      with q as (select distinct lexeme from unnest(tsvector_to_array(to_tsvector('english', ${query}))) as lexeme),
      n as (select count(*)::int as total from chunks c where ${mine})
      select q.lexeme, n.total,
             (select count(*)::int from chunks c where ${mine} and c.tsv @@ ${lexemeQuery(sql`q.lexeme`)}) as df
      from q, n`),
  );
  const terms = rows
    .filter((r) => Number(r.df) > 0)
    .map((r) => {
      const df = Number(r.df);
      const total = Number(r.total);
      return { lexeme: r.lexeme, idf: Math.log(1 + (total - df + 0.5) / (df + 0.5)), share: df / total };
    })
    .sort((a, b) => a.lexeme.localeCompare(b.lexeme));
  deps.ragCache.terms.set(key, terms);
  return terms;
}

/** A lexeme as a one-word tsquery, quoted so that no character in it reads as an operator. */
export const lexemeQuery = (lexeme: ReturnType<typeof sql>) =>
  sql`('''' || replace(${lexeme}, '''', '''''') || '''')::tsquery`;
