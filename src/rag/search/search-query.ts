import { type SQL, sql } from 'drizzle-orm';
import { embeddingExpression, versionLiteral } from '../index-versions/vector-index.ts';
import { lexemeQuery, type WeightedTerm } from './query-terms.ts';

export const searchModes = ['vector', 'fulltext', 'hybrid'] as const;
export type SearchMode = (typeof searchModes)[number];

export interface SearchScope {
  versionId: number;
  dimensions: number;
  ownerId: string;
  /** Highest chunk id visible to this search: later pages ignore chunks added after the first. */
  watermark: number;
  documentIds?: string[] | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * Resume after the last result of the previous page. Every ranking orders by (key, id)
 * ascending, with the key exactly as SQL computed it (a distance, or a negated score), so
 * the next page starts strictly after the previous one: no repeats, no gaps.
 */
export interface SearchAfter {
  key: number;
  id: number;
}

const resumeAfter = (key: SQL, after: SearchAfter | undefined) =>
  after ? sql`and (${key}, c.id) > (${after.key}::float8, ${after.id}::bigint)` : sql``;

const scopeFilter = (scope: SearchScope): SQL => {
  const parts = [
    sql`c.index_version_id = ${versionLiteral(scope.versionId)}`,
    sql`c.owner_id = ${scope.ownerId}`,
    sql`c.id <= ${scope.watermark}`,
  ];
  if (scope.documentIds?.length) {
    parts.push(
      sql`c.document_id in (${sql.join(
        scope.documentIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
  }
  if (scope.metadata && Object.keys(scope.metadata).length > 0) {
    parts.push(sql`c.document_id in (
      select d.id from documents d where d.owner_id = ${scope.ownerId} and d.metadata @> ${JSON.stringify(scope.metadata)}::jsonb)`);
  }
  return sql.join(parts, sql` and `);
};

// The cast is repeated literally so the planner matches the version's partial HNSW index.
const distance = (scope: SearchScope, vector: string) =>
  sql`${embeddingExpression(scope.dimensions)} <=> ${vector}::vector(${sql.raw(String(Math.trunc(scope.dimensions)))})`;

// The HNSW index can only order by the distance itself (a second ORDER BY key makes the planner
// sort the whole table), so ties are broken by id after the scan, over a few extra rows: enough
// for pages to stay exact unless more than this many chunks share one embedding at a page boundary.
const TIE_MARGIN = 32;

/** Vector ranking: cosine similarity, best first; the HNSW index serves the inner ORDER BY. */
export function vectorRanking(scope: SearchScope, vector: string, limit: number, after?: SearchAfter): SQL {
  const key = sql`(${distance(scope, vector)})::float8`;
  return sql`
    select id, key, 1 - key as score from (
      select c.id, ${key} as key
      from chunks c
      where ${scopeFilter(scope)} ${resumeAfter(key, after)}
      order by ${distance(scope, vector)}
      limit ${limit + TIE_MARGIN}) nearest
    order by key, id
    limit ${limit}`;
}

// Candidates come from the query's rarest words, up to about this many chunks (by their document
// frequencies); the more common words then only add to those chunks' scores. Chunks matching only
// common words would rank low anyway, and scoring them is what made long queries slow.
const CANDIDATE_BUDGET = 1000;

const literal = (lexeme: string) => lexemeQuery(sql`${lexeme}`);

function candidateTerms(terms: WeightedTerm[]): WeightedTerm[] {
  const rarest = [...terms].sort((a, b) => a.df - b.df);
  const picked = [rarest[0]!];
  let budget = rarest[0]!.df;
  for (const term of rarest.slice(1)) {
    if (budget + term.df > CANDIDATE_BUDGET) break;
    picked.push(term);
    budget += term.df;
  }
  return picked;
}

/**
 * Full-text ranking, BM25-like: each query word's ts_rank in the chunk times the word's IDF,
 * summed; best first. GIN finds the candidates. Heading words (weight A) count as much as text
 * words (B): the heading path is already repeated on every chunk of its section. No length
 * normalisation: chunks are bounded in size already, and on the manual eval it ranked worse.
 */
export function fulltextRanking(
  scope: SearchScope,
  terms: WeightedTerm[],
  limit: number,
  after?: SearchAfter,
): SQL {
  if (terms.length === 0)
    return sql`select null::bigint as id, null::float8 as key, null::float8 as score where false`;
  // One OR-ed tsquery: GIN answers it in one pass (separate @@ tests per word were 3x slower).
  const match = sql.join(
    candidateTerms(terms).map((t) => literal(t.lexeme)),
    sql` || `,
  );
  const score = sql.join(
    terms.map((t) => sql`${t.idf}::float8 * ts_rank('{0.1, 0.2, 0.5, 0.5}', c.tsv, ${literal(t.lexeme)}, 0)`),
    sql` + `,
  );
  const resume = after ? sql`where (-score, id) > (${after.key}::float8, ${after.id}::bigint)` : sql``;
  return sql`
    select id, -score as key, score from (
      select c.id, (${score})::float8 as score
      from chunks c
      where c.tsv @@ (${match}) and ${scopeFilter(scope)}) matched
    ${resume}
    order by key, id
    limit ${limit}`;
}

/**
 * Hybrid ranking: reciprocal rank fusion (score = sum of 1 / (rrfK + rank), Cormack et al. 2009)
 * of the top `candidates` of each ranking, in one statement (one snapshot). Pages walk the fused
 * list, so its depth bounds pagination.
 */
export function hybridRanking(
  scope: SearchScope,
  input: { terms: WeightedTerm[]; vector: string | null },
  fusion: { candidates: number; rrfK: number },
  limit: number,
  after?: SearchAfter,
): SQL {
  const { candidates, rrfK } = fusion;
  const vectorPart = input.vector
    ? sql`select id, row_number() over (order by key, id) as rank from (${vectorRanking(scope, input.vector, candidates)}) v`
    : sql`select null::bigint as id, null::bigint as rank where false`;
  const resume = after ? sql`where (-score, id) > (${after.key}::float8, ${after.id}::bigint)` : sql``;
  return sql`
    with vec as (${vectorPart}),
    ft as (
      select id, row_number() over (order by key, id) as rank
      from (${fulltextRanking(scope, input.terms, candidates)}) f),
    fused as (
      select coalesce(vec.id, ft.id) as id,
             coalesce(1::float8 / (${rrfK} + vec.rank), 0) + coalesce(1::float8 / (${rrfK} + ft.rank), 0) as score
      from vec full join ft on vec.id = ft.id)
    select id, -score as key, score from fused ${resume}
    order by key, id
    limit ${limit}`;
}

/** A ranking joined to what a result shows, in ranking order. */
export function withDetails(ranking: SQL): SQL {
  return sql`
    select r.id, r.key, r.score, c.document_id, d.title, c.text, c.heading_path, c.char_start, c.char_end
    from (${ranking}) r
    join chunks c on c.id = r.id
    join documents d on d.id = c.document_id
    order by r.key, r.id`;
}
