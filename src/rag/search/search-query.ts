import { type SQL, sql } from 'drizzle-orm';
import { embeddingExpression, versionLiteral } from '../index-versions/vector-index.ts';

export const searchModes = ['vector', 'fulltext', 'hybrid'] as const;
export type SearchMode = (typeof searchModes)[number];

/** One result per chunk, or one per document with its best chunks attached. */
export const searchGroupings = ['chunk', 'document'] as const;
export type SearchGrouping = (typeof searchGroupings)[number];

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

/** How the candidates of each ranking are fused and grouped (settings, measured on the retrieval eval). */
export interface Fusion {
  /** Results of each ranking that hybrid search fuses (RAG_SEARCH_CANDIDATES); also the pool documents are ranked from. */
  candidates: number;
  /** Reciprocal rank fusion constant (RAG_RRF_K). */
  rrfK: number;
  /** Weight of the vector ranking in the fusion, the full-text ranking weighing 1 (RAG_HYBRID_VECTOR_WEIGHT). */
  vectorWeight: number;
}

// A document scores the sum of its chunks' scores, each further chunk counting this much less
// than the one before: a page with several good chunks passes one with a single slightly better
// chunk. Hybrid chunk results add this document score to their own (DOCUMENT_PRIOR times), so the
// best chunks of the best pages come first. On the eval, max (decay 0) and no prior ranked worse.
const DOCUMENT_DECAY = 0.5;
const DOCUMENT_PRIOR = 1;
/** Chunks attached to each result when grouping by document. */
export const CHUNKS_PER_DOCUMENT = 3;

const resumeAfter = (key: SQL, after: SearchAfter | undefined) =>
  after ? sql`and (${key}, c.id) > (${after.key}::float8, ${after.id}::bigint)` : sql``;

const resumeOuter = (after: SearchAfter | undefined) =>
  after ? sql`where (key, id) > (${after.key}::float8, ${after.id}::bigint)` : sql``;

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

// Full text. A chunk is a candidate when it holds at least half (and at least two) of the query's
// LEAD_TERMS rarest words: rarest among its first RARITY_TERMS words that are in the index at all,
// by how many chunks of a sample of SAMPLE_ROWS (ids spread evenly up to the watermark, the
// caller's only) hold them. One GIN lookup, no planner statistics; candidates stay few even when
// the query's words are common, unlike "any word" (thousands of chunks on the manual) or "every
// word" (none, for most questions). Leaving out a long question's commonest words shortens GIN's
// walk; fewer or rarer words (the rarest word required, or half of the four rarest) were cheaper
// at 100k chunks but ranked or answered worse on the evals. At most MATCH_LIMIT candidates are
// ranked (fewer ranked worse). The rank is ts_rank of the chunk against any of the query's words,
// title, headings and text weighing alike (weighting titles up ranked worse on the eval: short
// titles of unrelated pages matched one common word).
const RARITY_TERMS = 6;
const LEAD_TERMS = 5;
const SAMPLE_ROWS = 128;
const MATCH_LIMIT = 500;
const FIELD_WEIGHTS = sql.raw(`'{1, 1, 1, 1}'::float4[]`);

// "At least m of the words from the n-th on", as a tsquery in prefix-tree form:
// w_n & (at least m-1 from n+1) | w_n+1 & (at least m-1 from n+2) | ... GIN checks it for each
// candidate in half the time of the flat OR of every m-word combination.
const MAX_NEEDED = Math.ceil(LEAD_TERMS / 2);
const atLeastCtes = sql.raw(
  Array.from({ length: MAX_NEEDED }, (_, i) =>
    i === 0
      ? `at_least_1 as (select s.n, (
          select '(' || string_agg(w.word, ' | ' order by w.n) || ')' from lead_words w where w.n >= s.n) as q
        from lead_words s)`
      : `at_least_${i + 1} as (select s.n, (
          select '(' || string_agg(w.word || ' & ' || r.q, ' | ' order by w.n) || ')'
          from lead_words w join at_least_${i} r on r.n = w.n + 1 where w.n >= s.n) as q
        from lead_words s)`,
  ).join(',\n    '),
);
const pickNeeded = sql.raw(
  Array.from(
    { length: MAX_NEEDED },
    (_, i) => `when ${i + 1} then (select q from at_least_${i + 1} where n = 1)`,
  ).join(' '),
);

/** The query's words as tsqueries: `any_term` (ranking) and `enough_terms` (candidates). */
function queryTerms(scope: SearchScope, query: string): SQL {
  const version = versionLiteral(scope.versionId);
  return sql`
    words as (
      select '''' || replace(replace(w.lexeme, '\\', '\\\\'), '''', '''''') || '''' as word,
             row_number() over (order by w.positions[1], w.lexeme)::int as n
      from unnest(to_tsvector('english', ${query})) w),
    sample as materialized (
      select strip(c.weighted_tsv) as tsv from chunks c
      where c.id in (select generate_series(step / 2 + 1, ${scope.watermark}::bigint, step)
                     from (select greatest(1, ${scope.watermark}::bigint / ${sql.raw(String(SAMPLE_ROWS))}) as step) s)
        and c.index_version_id = ${version} and c.owner_id = ${scope.ownerId}),
    counted as materialized (
      select w.word, w.n, (select count(*) from sample s where s.tsv @@ w.word::tsquery) as seen
      from words w where w.n <= ${sql.raw(String(RARITY_TERMS))}),
    lead_words as materialized (
      select word, n from (
        select word, row_number() over (order by seen, n)::int as n
        from counted w
        where seen > 0 or exists (
          select 1 from chunks c
          where c.weighted_tsv @@ w.word::tsquery and c.index_version_id = ${version} and c.owner_id = ${scope.ownerId})) r
      where n <= ${sql.raw(String(LEAD_TERMS))}),
    ${atLeastCtes},
    terms as (
      select (select string_agg(word, ' | ') from words)::tsquery as any_term,
             (select case least(count(*), greatest(2, ceil(count(*) / 2.0)))::int ${pickNeeded} end
              from lead_words)::tsquery as enough_terms)`;
}

/** Full-text candidates with their rank (unordered); needs the `terms` CTE. */
const fulltextPool = (scope: SearchScope): SQL => sql`
  select m.id, m.document_id, ts_rank(${FIELD_WEIGHTS}, m.weighted_tsv, t.any_term)::float8 as score
  from (select c.id, c.document_id, c.weighted_tsv from chunks c, terms t
        where c.weighted_tsv @@ t.enough_terms and ${scopeFilter(scope)}
        limit ${MATCH_LIMIT}) m, terms t`;

/** Full-text ranking: ts_rank over the GIN index's candidates, best first. */
export function fulltextRanking(scope: SearchScope, query: string, limit: number, after?: SearchAfter): SQL {
  return sql`
    with ${queryTerms(scope, query)}
    select id, key, score from (select id, -score as key, score from (${fulltextPool(scope)}) f) ranked
    ${resumeOuter(after)}
    order by key, id
    limit ${limit}`;
}

/**
 * Reciprocal rank fusion (score = sum of weight / (rrfK + rank), Cormack et al. 2009) of the top
 * `candidates` of each ranking: CTEs `fused (id, document_id, score)`, with `terms`.
 */
function fusedCtes(scope: SearchScope, input: { query: string; vector: string | null }, fusion: Fusion): SQL {
  const { candidates, rrfK, vectorWeight } = fusion;
  // Ranked in the HNSW scan's order: selecting the distance again would read each candidate's embedding.
  const vectorPart = input.vector
    ? sql`select id, document_id, row_number() over () as rank from (
        select c.id, c.document_id from chunks c where ${scopeFilter(scope)}
        order by ${distance(scope, input.vector)} limit ${candidates}) v`
    : sql`select null::bigint as id, null::uuid as document_id, null::bigint as rank where false`;
  return sql`
    ${queryTerms(scope, input.query)},
    vec as (${vectorPart}),
    ft as (
      select id, document_id, row_number() over (order by score desc, id) as rank
      from (${fulltextPool(scope)}) f
      order by score desc, id
      limit ${candidates}),
    fused as (
      select coalesce(vec.id, ft.id) as id, coalesce(vec.document_id, ft.document_id) as document_id,
             coalesce(${vectorWeight}::float8 / (${rrfK} + vec.rank), 0)
               + coalesce(1::float8 / (${rrfK} + ft.rank), 0) as score
      from vec full join ft on vec.id = ft.id)`;
}

/** Each pooled chunk's place among its document's chunks (`nth`) and the document's score: CTEs `placed`, `docs`. */
const documentCtes = (pool: string) =>
  sql.raw(`
    placed as (
      select id, score, document_id, row_number() over (partition by document_id order by score desc, id) as nth
      from ${pool}),
    docs as (
      select document_id, sum(score * power(${DOCUMENT_DECAY}, nth - 1))::float8 as score
      from placed group by document_id)`);

/**
 * Hybrid ranking, in one statement (one snapshot): the fused score of each chunk plus its
 * document's score (so a page's best chunks lead), best first. Pages walk the fused list, so
 * its depth bounds pagination.
 */
export function hybridRanking(
  scope: SearchScope,
  input: { query: string; vector: string | null },
  fusion: Fusion,
  limit: number,
  after?: SearchAfter,
): SQL {
  return sql`
    with ${fusedCtes(scope, input, fusion)},
    ${documentCtes('fused')}
    select id, key, score from (
      select p.id, -(p.score + ${DOCUMENT_PRIOR} * d.score) as key, p.score + ${DOCUMENT_PRIOR} * d.score as score
      from placed p join docs d on d.document_id = p.document_id) ranked
    ${resumeOuter(after)}
    order by key, id
    limit ${limit}`;
}

/**
 * Document ranking for any mode: the mode's top `candidates` chunks, one row per document,
 * scored by the decayed sum of its chunks' scores; `id` is its best chunk, `chunk_ids` and
 * `chunk_scores` its best CHUNKS_PER_DOCUMENT chunks.
 */
export function documentRanking(
  scope: SearchScope,
  input: { mode: SearchMode; query: string; vector: string | null },
  fusion: Fusion,
  limit: number,
  after?: SearchAfter,
): SQL {
  const pool =
    input.mode === 'hybrid'
      ? fusedCtes(scope, input, fusion)
      : input.mode === 'vector'
        ? sql`fused as (${
            input.vector
              ? sql`select c.id, c.document_id, 1 - (${distance(scope, input.vector)})::float8 as score
                    from chunks c where ${scopeFilter(scope)}
                    order by ${distance(scope, input.vector)} limit ${fusion.candidates}`
              : sql`select null::bigint as id, null::uuid as document_id, null::float8 as score where false`
          })`
        : sql`${queryTerms(scope, input.query)},
          fused as (select id, document_id, score from (${fulltextPool(scope)}) f order by score desc, id limit ${fusion.candidates})`;
  return sql`
    with ${pool},
    ${documentCtes('fused')}
    select id, key, score, chunk_ids, chunk_scores from (
      select min(p.id) filter (where p.nth = 1) as id, -d.score as key, d.score,
             array_agg(p.id order by p.nth) filter (where p.nth <= ${CHUNKS_PER_DOCUMENT}) as chunk_ids,
             array_agg(p.score order by p.nth) filter (where p.nth <= ${CHUNKS_PER_DOCUMENT}) as chunk_scores
      from docs d join placed p on p.document_id = d.document_id
      group by d.document_id, d.score) ranked
    ${resumeOuter(after)}
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

/** A document ranking joined to what its results show: the best chunk's details, and every attached chunk's. */
export function withDocumentDetails(ranking: SQL): SQL {
  return sql`
    select r.id, r.key, r.score, c.document_id, d.title, c.text, c.heading_path, c.char_start, c.char_end,
           (select json_agg(json_build_object(
                     'id', a.id, 'score', a.score, 'text', ac.text, 'heading_path', ac.heading_path,
                     'char_start', ac.char_start, 'char_end', ac.char_end) order by a.nth)
            from unnest(r.chunk_ids, r.chunk_scores) with ordinality as a(id, score, nth)
            join chunks ac on ac.id = a.id) as chunks
    from (${ranking}) r
    join chunks c on c.id = r.id
    join documents d on d.id = c.document_id
    order by r.key, r.id`;
}
