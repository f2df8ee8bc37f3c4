import { contentWords, sentences } from './text-features.ts';

/**
 * Answers a question from supplied context by picking the sentences that share the most
 * content words with it. Returns null when nothing in the context overlaps the question.
 */
export function extractiveAnswer(question: string, context: string, maxSentences = 3): string | null {
  const asked = new Set(contentWords(question));
  if (asked.size === 0) return null;
  const scored = sentences(context)
    .map((sentence, index) => {
      const terms = new Set(contentWords(sentence));
      let overlap = 0;
      for (const term of asked) if (terms.has(term)) overlap++;
      return { sentence, index, score: overlap / Math.sqrt(terms.size + 1) };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, maxSentences)
    .sort((a, b) => a.index - b.index);
  return scored.length === 0 ? null : scored.map((s) => s.sentence).join(' ');
}
