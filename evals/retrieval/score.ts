import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { searchChunks } from '../../src/rag/search/search-chunks.ts';
import type { SearchMode } from '../../src/rag/search/search-query.ts';

export interface Question {
  id: string;
  question: string;
  /** The manual's pages that answer it (file names): any one of them counts. */
  pages: string[];
}

export interface PageMetrics {
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  mrr_at_10: number;
}

/** What is ranked: the three modes at chunk level, and hybrid grouped by document (`group_by: "document"`). */
export type Ranking = SearchMode | 'hybrid_document';
const RANKINGS: Ranking[] = ['vector', 'fulltext', 'hybrid', 'hybrid_document'];

// Results fetched per question (chunks, or documents when grouped); page ranks are read from their
// distinct documents in order.
const TOP_K = 50;

export async function loadQuestions(): Promise<Question[]> {
  return (await readFile(path.join(import.meta.dirname, 'questions.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Question);
}

/** The rank (1-based) of the first page that answers the question, null when none is listed. */
export function firstAnswerRank(rankedPages: (string | undefined)[], answers: string[]): number | null {
  const index = rankedPages.findIndex((p) => p !== undefined && answers.includes(p));
  return index < 0 ? null : index + 1;
}

/** Recall at 1, 5 and 10 and MRR@10 (a rank past 10 counts 0) over the questions' ranks. */
export function pageMetrics(ranks: (number | null)[]): PageMetrics {
  const n = ranks.length || 1;
  const within = (k: number) => ranks.filter((r) => r !== null && r <= k).length / n;
  return {
    recall_at_1: within(1),
    recall_at_5: within(5),
    recall_at_10: within(10),
    mrr_at_10: ranks.reduce<number>((sum, r) => sum + (r !== null && r <= 10 ? 1 / r : 0), 0) / n,
  };
}

/** The documents a ranking returns for a question, best first. */
async function rankedDocuments(deps: Deps, ownerId: string, query: string, ranking: Ranking) {
  const byDocument = ranking === 'hybrid_document';
  const page = await searchChunks(deps, {
    ownerId,
    query,
    topK: TOP_K,
    mode: byDocument ? 'hybrid' : ranking,
    groupBy: byDocument ? 'document' : 'chunk',
    meta: { route: 'eval.retrieval' },
  });
  return [...new Set(page.results.map((r) => r.documentId))];
}

/**
 * Page-level scores per ranking: a question is recalled at k when a page that answers it is among
 * the first k distinct pages of its top 50 results; MRR@10 uses the rank of the first such page.
 */
export async function scoreRetrieval(
  deps: Deps,
  options: { ownerId: string; questions: Question[]; pageOf: Map<string, string> },
) {
  const ranks: Record<string, Partial<Record<Ranking, number | null>>> = {};
  const metrics = {} as Record<Ranking, PageMetrics>;
  for (const ranking of RANKINGS) {
    const found: (number | null)[] = [];
    for (const q of options.questions) {
      const documents = await rankedDocuments(deps, options.ownerId, q.question, ranking);
      const rank = firstAnswerRank(
        documents.map((id) => options.pageOf.get(id)),
        q.pages,
      );
      ranks[q.id] = { ...ranks[q.id], [ranking]: rank };
      found.push(rank);
    }
    metrics[ranking] = pageMetrics(found);
  }
  return { metrics, ranks };
}
