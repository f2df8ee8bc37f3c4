import { negative, positive } from './sentiment.ts';
import { words } from './text-features.ts';

// Function words of the languages the local provider recognises, plus filler verbs
// that are frequent in any text but never a topic.
const ignored = new Set(
  `the and for are was were with that this from have has had not but they their them you your our its
  into over than then there these those what when where which while who will would could should about after
  also been being both each more most other some such only same very just can may might must shall
  said says say one two three many much any all out use used using get got make made like new
  monday tuesday wednesday thursday friday saturday sunday last next day days week weeks month months year years time today really did does done just even still yet ever because though although however since inc corp ltd
  der die das und ist nicht ein eine mit den von sich auf für auch dem wir ich sie es war sind sehr kam
  hat haben wird wurde noch nur aber oder wie bei nach aus zum zur
  les des est une dans pour pas qui sur avec nous sont très elle ils était mais peut être ont fait
  los las del por para con muy pero una que son
  gli della per con non sono molto una che
  het een van dat niet zijn met voor ook maar`.split(/\s+/),
);

const singular = (word: string, seen: Map<string, number>) => {
  if (word.endsWith('ies') && seen.has(`${word.slice(0, -3)}y`)) return `${word.slice(0, -3)}y`;
  if (word.endsWith('es') && seen.has(word.slice(0, -2))) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && seen.has(word.slice(0, -1))) return word.slice(0, -1);
  return word;
};

// Scripts written without spaces have no words to count.
const unspaced = new Set(['ja', 'zh', 'th']);

// Opinion words describe a topic rather than name it; -ly and -ing forms are rarely topics either.
const notTopic = (w: string) => positive.has(w) || negative.has(w) || /(ly|ing)$/.test(w);

/**
 * The text's most frequent content words (plurals folded into singulars), most frequent first;
 * among equals, longer (more specific) words first, then the earliest.
 */
export function extractTopics(text: string, options: { language?: string; max?: number } = {}): string[] {
  if (options.language && unspaced.has(options.language)) return [];
  const counts = new Map<string, number>();
  const candidates = words(text).filter(
    (w) => w.length >= 3 && w.length <= 24 && !ignored.has(w) && !notTopic(w) && !/^\d/.test(w),
  );
  for (const word of candidates) counts.set(word, (counts.get(word) ?? 0) + 1);
  const folded = new Map<string, number>();
  for (const [word, count] of counts) {
    const key = singular(word, counts);
    folded.set(key, (folded.get(key) ?? 0) + count);
  }
  // Map iteration keeps first-occurrence order, so equal counts rank by position.
  return [...folded]
    .sort((a, b) => b[1] - a[1] || b[0].length - a[0].length)
    .slice(0, options.max ?? 5)
    .map(([word]) => word);
}
