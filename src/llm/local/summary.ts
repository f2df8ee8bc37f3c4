import { contentWords, sentences } from './text-features.ts';

/**
 * Extractive summary: the one or two sentences that share the most vocabulary with the whole
 * text, in their original order, cut at a word boundary to `maxChars`.
 */
export function summarize(text: string, maxChars = 400): string {
  const all = sentences(text);
  const normalised = text.replace(/\s+/g, ' ').trim();
  if (all.length <= 2) return truncate(normalised, maxChars);
  const frequency = new Map<string, number>();
  for (const word of contentWords(text)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const picked = all
    .map((sentence, index) => {
      const terms = contentWords(sentence);
      const weight = terms.reduce((sum, term) => sum + (frequency.get(term) ?? 0), 0);
      // Early sentences of a text tend to state its subject.
      return { sentence, index, score: weight / Math.sqrt(terms.length + 1) / (1 + index * 0.05) };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, 2)
    .sort((a, b) => a.index - b.index);
  return truncate(picked.map((p) => p.sentence).join(' '), maxChars);
}

function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars - 1);
  const boundary = cut.lastIndexOf(' ');
  return `${(boundary > maxChars / 2 ? cut.slice(0, boundary) : cut).trimEnd()}…`;
}
