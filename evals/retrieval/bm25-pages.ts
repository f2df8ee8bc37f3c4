import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { firstAnswerRank, type PageMetrics, pageMetrics, type Question } from './score.ts';

const K1 = 1.2;
const B = 0.75;

/**
 * The reference point: classic BM25 over whole pages (PostgreSQL's English stemming, no chunks,
 * no vectors), scored like the modes. Tells whether a miss is cairn's or the question's vocabulary.
 */
export async function bm25PageBaseline(
  db: Database,
  options: { ownerId: string; questions: Question[]; pageOf: Map<string, string> },
): Promise<{ metrics: PageMetrics; ranks: Record<string, number | null> }> {
  const rows = rowsOf<{ id: string; lexeme: string; tf: number }>(
    await db.execute(sql`
      select d.id, t.lexeme, coalesce(array_length(t.positions, 1), 1) as tf
      from documents d, unnest(to_tsvector('english', d.title || ' ' || d.content)) t
      where d.owner_id = ${options.ownerId}`),
  );
  const docs = new Map<string, Map<string, number>>();
  const df = new Map<string, number>();
  for (const r of rows) {
    const terms = docs.get(r.id) ?? new Map<string, number>();
    docs.set(r.id, terms);
    terms.set(r.lexeme, Number(r.tf));
    df.set(r.lexeme, (df.get(r.lexeme) ?? 0) + 1);
  }
  const length = new Map(
    [...docs].map(([id, terms]) => [id, [...terms.values()].reduce((a, b) => a + b, 0)]),
  );
  const average = [...length.values()].reduce((a, b) => a + b, 0) / docs.size;
  const ranks: Record<string, number | null> = {};
  for (const q of options.questions) {
    const [row] = rowsOf<{ lexemes: string[] }>(
      await db.execute(sql`select tsvector_to_array(to_tsvector('english', ${q.question})) as lexemes`),
    );
    const scores = [...docs].map(([id, terms]) => {
      let score = 0;
      for (const lexeme of row?.lexemes ?? []) {
        const tf = terms.get(lexeme);
        if (!tf) continue;
        const n = df.get(lexeme)!;
        const idf = Math.log(1 + (docs.size - n + 0.5) / (n + 0.5));
        score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length.get(id)!) / average));
      }
      return { page: options.pageOf.get(id), score };
    });
    scores.sort((a, b) => b.score - a.score);
    ranks[q.id] = firstAnswerRank(
      scores.filter((s) => s.score > 0).map((s) => s.page),
      q.pages,
    );
  }
  return { metrics: pageMetrics(Object.values(ranks)), ranks };
}
