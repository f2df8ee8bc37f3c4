import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { searchChunks } from '../../src/rag/search/search-chunks.ts';
import type { SearchMode } from '../../src/rag/search/search-query.ts';

export interface Question {
  id: string;
  question: string;
  /** The manual's pages that answer it (file names). */
  pages: string[];
}

export interface ModeMetrics {
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  mrr: number;
}

const modes: SearchMode[] = ['vector', 'fulltext', 'hybrid'];

export async function loadQuestions(): Promise<Question[]> {
  return (await readFile(path.join(import.meta.dirname, 'questions.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Question);
}

/**
 * Page-level scores: a question is recalled at k when a page that answers it is among the
 * first k distinct pages of its top 50 chunks; MRR uses the rank of the first such page.
 */
export async function scoreRetrieval(
  deps: Deps,
  options: { ownerId: string; questions: Question[]; pageOf: Map<string, string> },
) {
  const ranks: Record<string, Partial<Record<SearchMode, number | null>>> = {};
  const metrics = {} as Record<SearchMode, ModeMetrics>;
  for (const mode of modes) {
    const hits = { 1: 0, 5: 0, 10: 0 };
    let reciprocal = 0;
    for (const q of options.questions) {
      const page = await searchChunks(deps, {
        ownerId: options.ownerId,
        query: q.question,
        topK: 50,
        mode,
        meta: { route: 'eval.retrieval' },
      });
      const ranked = [...new Set(page.results.map((r) => options.pageOf.get(r.documentId)))];
      const first = ranked.findIndex((p) => p !== undefined && q.pages.includes(p));
      const rank = first < 0 ? null : first + 1;
      ranks[q.id] = { ...ranks[q.id], [mode]: rank };
      for (const k of [1, 5, 10] as const) if (rank !== null && rank <= k) hits[k]++;
      if (rank !== null) reciprocal += 1 / rank;
    }
    const n = options.questions.length;
    metrics[mode] = {
      recall_at_1: hits[1] / n,
      recall_at_5: hits[5] / n,
      recall_at_10: hits[10] / n,
      mrr: reciprocal / n,
    };
  }
  return { metrics, ranks };
}
