import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { Deps } from '../../deps.ts';
import { serviceUnavailable, validationFailed } from '../../errors.ts';
import type { CallMeta } from '../../llm/llm-client.ts';
import { inSpan, traced } from '../../observability/tracing.ts';
import { contentHash } from '../documents/content-hash.ts';
import { ensureActiveVersion } from '../index-versions/ensure-active-version.ts';
import type { IndexVersion } from '../index-versions/index-version.ts';
import { EmbeddingMismatchError } from '../ingest/embed.ts';
import { queryEmbedding } from './query-embedding.ts';
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor.ts';
import {
  documentRanking,
  type Fusion,
  fulltextRanking,
  hybridRanking,
  type SearchAfter,
  type SearchGrouping,
  type SearchMode,
  type SearchScope,
  vectorRanking,
  withDetails,
  withDocumentDetails,
} from './search-query.ts';

export interface SearchInput {
  ownerId: string;
  query: string;
  topK: number;
  mode: SearchMode;
  /** 'chunk' (the default) or 'document': one result per document, its best chunks attached. */
  groupBy?: SearchGrouping | undefined;
  cursor?: string | undefined;
  documentIds?: string[] | undefined;
  metadata?: Record<string, unknown> | undefined;
  meta: CallMeta;
}

export interface SearchHit {
  chunkId: number;
  documentId: string;
  documentTitle: string;
  text: string;
  score: number;
  headingPath: string[];
  charStart: number;
  charEnd: number;
  /** Grouped by document: the document's best chunks (this hit's first), each with its own score. */
  chunks?: DocumentChunk[];
}

/** A chunk attached to a document result. */
export type DocumentChunk = Omit<SearchHit, 'documentId' | 'documentTitle' | 'chunks'>;

/** The index version that answered a search. */
export type IndexVersionRef = Pick<IndexVersion, 'id' | 'embeddingModel' | 'dimensions'>;

export interface SearchPage {
  indexVersion: IndexVersionRef;
  mode: SearchMode;
  groupBy: SearchGrouping;
  results: SearchHit[];
  nextCursor: string | null;
}

interface Row {
  id: string | number;
  key: number;
  score: number;
  document_id: string;
  title: string;
  text: string;
  heading_path: string[];
  char_start: number;
  char_end: number;
  chunks?: {
    id: string | number;
    score: number;
    text: string;
    heading_path: string[];
    char_start: number;
    char_end: number;
  }[];
}

function toHit(r: Row): SearchHit {
  const hit: SearchHit = {
    chunkId: Number(r.id),
    documentId: r.document_id,
    documentTitle: r.title,
    text: r.text,
    score: Number(r.score),
    headingPath: r.heading_path,
    charStart: r.char_start,
    charEnd: r.char_end,
  };
  if (r.chunks) {
    // json_agg leaves nested values as JSON text on some drivers; ids and scores arrive as numbers.
    const chunks =
      typeof r.chunks === 'string' ? (JSON.parse(r.chunks) as NonNullable<Row['chunks']>) : r.chunks;
    hit.chunks = chunks.map((c) => ({
      chunkId: Number(c.id),
      text: c.text,
      score: Number(c.score),
      headingPath: c.heading_path,
      charStart: c.char_start,
      charEnd: c.char_end,
    }));
  }
  return hit;
}

async function requestHash(input: SearchInput): Promise<string> {
  const metadata = Object.entries(input.metadata ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const documents = [...(input.documentIds ?? [])].sort();
  return (
    await contentHash(
      JSON.stringify([input.query, input.mode, input.groupBy ?? 'chunk', documents, metadata]),
    )
  ).slice(0, 16);
}

async function watermarkNow(deps: Deps, tx: Pick<Deps['db'], 'execute'>): Promise<number> {
  const [row] = rowsOf<{ max: string | number | null }>(
    await traced(deps, 'rag.search.watermark', () => tx.execute(sql`select max(id) as max from chunks`)),
  );
  return Number(row?.max ?? 0);
}

/**
 * hnsw.ef_search when RAG_HNSW_EF_SEARCH is unset: the HNSW candidate list grows with the index,
 * so recall@10 against exact search stays >= 0.95 (measured with `npm run bench -- rag`: 0.975 at
 * the manual's 8.7k chunks with 200).
 */
export function efSearchFor(deps: Pick<Deps, 'config'>, chunkCount: number): number {
  if (deps.config.RAG_HNSW_EF_SEARCH) return deps.config.RAG_HNSW_EF_SEARCH;
  return chunkCount <= 50_000 ? 200 : 400;
}

/** The fusion settings in force. */
export const fusionOf = (deps: Pick<Deps, 'config'>): Fusion => ({
  candidates: deps.config.RAG_SEARCH_CANDIDATES,
  rrfK: deps.config.RAG_RRF_K,
  vectorWeight: deps.config.RAG_HYBRID_VECTOR_WEIGHT,
});

function ranking(
  deps: Deps,
  scope: SearchScope,
  input: SearchInput,
  vector: string | null,
  after?: SearchAfter,
) {
  const limit = input.topK + 1;
  if (input.groupBy === 'document') {
    return withDocumentDetails(
      documentRanking(scope, { mode: input.mode, query: input.query, vector }, fusionOf(deps), limit, after),
    );
  }
  if (input.mode === 'fulltext') return withDetails(fulltextRanking(scope, input.query, limit, after));
  return withDetails(
    input.mode === 'vector'
      ? vectorRanking(scope, vector!, limit, after)
      : hybridRanking(scope, { query: input.query, vector }, fusionOf(deps), limit, after),
  );
}

/**
 * One page of ranked rows and the chunk watermark they were ranked under. A first page takes
 * its watermark in the ranking's own snapshot (repeatable read): taken apart, a document
 * replaced in between would be missing from the page, its old chunks deleted and its new ones
 * above the watermark.
 */
async function rank(
  deps: Deps,
  version: IndexVersion,
  scope: Omit<SearchScope, 'watermark'>,
  input: SearchInput,
  position?: { watermark: number; after: SearchAfter },
): Promise<{ rows: Row[]; watermark: number }> {
  const vector =
    input.mode === 'fulltext' ? null : await queryEmbedding(deps, version, input.query, input.meta);
  if (input.mode === 'vector' && !vector) return { rows: [], watermark: position?.watermark ?? 0 };
  return traced(deps, `rag.search.${input.mode}`, () =>
    deps.db.transaction(
      async (tx) => {
        if (input.mode !== 'fulltext') {
          // Search settings are per transaction: the HNSW candidate list, and iterative scans so
          // owner and metadata filters still fill the page (strict order keeps pages exact).
          await tx.execute(
            sql`select set_config('hnsw.ef_search', ${String(efSearchFor(deps, version.chunkCount))}, true),
                     set_config('hnsw.iterative_scan', 'strict_order', true)`,
          );
        }
        const watermark = position?.watermark ?? (await watermarkNow(deps, tx));
        const query = ranking(deps, { ...scope, watermark }, input, vector, position?.after);
        return { rows: rowsOf<Row>(await tx.execute(query)), watermark };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    ),
  );
}

/**
 * Ranks the caller's chunks in the active index version (vector, full-text, or both fused
 * with RRF) and returns one page. Pages are keyset-paginated against a chunk-id watermark,
 * so chunks added meanwhile never shift later pages. Results are cached per version and
 * generation, so any write or an index switch invalidates them.
 */
export function searchChunks(deps: Deps, input: SearchInput): Promise<SearchPage> {
  return inSpan(
    deps.telemetry,
    'rag.search',
    {
      attributes: {
        'cairn.search.mode': input.mode,
        'cairn.search.group_by': input.groupBy ?? 'chunk',
        'cairn.search.top_k': input.topK,
      },
    },
    async (span) => {
      const page = await search(deps, input);
      span.setAttribute('cairn.search.results', page.results.length);
      return page;
    },
  );
}

async function search(deps: Deps, input: SearchInput): Promise<SearchPage> {
  if (input.topK > deps.config.RAG_SEARCH_TOP_K_MAX) {
    throw validationFailed(`top_k may be at most ${deps.config.RAG_SEARCH_TOP_K_MAX}.`, [
      { pointer: '/body/top_k', detail: `must be <= ${deps.config.RAG_SEARCH_TOP_K_MAX}` },
    ]);
  }
  const version = await ensureActiveVersion(deps);
  const hash = await requestHash(input);
  const position = input.cursor ? decodeSearchCursor(input.cursor, hash, version.id) : undefined;
  const cacheKey = [version.id, version.generation, input.ownerId, hash, input.topK, input.cursor ?? ''].join(
    '|',
  );
  const cached = deps.ragCache.pages.get(cacheKey) as SearchPage | undefined;
  if (cached) return cached;

  const scope = {
    versionId: version.id,
    dimensions: version.dimensions,
    ownerId: input.ownerId,
    documentIds: input.documentIds,
    metadata: input.metadata,
  };
  let ranked: { rows: Row[]; watermark: number };
  try {
    ranked = await rank(deps, version, scope, input, position);
  } catch (error) {
    if (error instanceof EmbeddingMismatchError)
      throw serviceUnavailable(`Search is unavailable: ${error.message}.`);
    throw error;
  }
  const { rows, watermark } = ranked;
  const pageRows = rows.slice(0, input.topK);
  const last = pageRows.at(-1);
  const page: SearchPage = {
    indexVersion: { id: version.id, embeddingModel: version.embeddingModel, dimensions: version.dimensions },
    mode: input.mode,
    groupBy: input.groupBy ?? 'chunk',
    results: pageRows.map(toHit),
    nextCursor:
      rows.length > input.topK && last
        ? encodeSearchCursor(
            {
              versionId: version.id,
              watermark,
              after: { key: Number(last.key), id: Number(last.id) },
            },
            hash,
          )
        : null,
  };
  deps.ragCache.pages.set(cacheKey, page);
  return page;
}
