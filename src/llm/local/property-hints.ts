import type { JsonSchema } from '../llm-client.ts';
import type { Entity } from './entities.ts';
import type { TextAnalysis } from './text-analysis.ts';

// What a property's name asks for, and the value the analysed text gives it: the heuristics
// behind the local provider's schema-shaped JSON (the filler in schema-values.ts walks the schema).

/** What values are drawn from: the analysed text, and the entity being described inside an entity list. */
export interface ValueSource {
  analysis: TextAnalysis;
  entity?: Entity;
}

export type Hint =
  | 'summary'
  | 'title'
  | 'sentiment'
  | 'confidence'
  | 'score'
  | 'rating'
  | 'topics'
  | 'entities'
  | 'language'
  | 'name'
  | 'type'
  | 'count'
  | 'query'
  | 'location'
  | 'url'
  | 'email'
  | 'number'
  | 'expression';

// Property names the offline provider understands, matched against a normalised name (lowercase, no separators).
const hintPatterns: [RegExp, Hint][] = [
  [/^(summary|abstract|synopsis|overview|gist|tldr|description|explanation|reason|rationale)/, 'summary'],
  [/^(title|headline|subject)$/, 'title'],
  [/(sentiment|polarity|tone|mood|label|feeling)$/, 'sentiment'],
  [/(confidence|probability|certainty)$/, 'confidence'],
  [/^(score|sentimentscore)$/, 'score'],
  [/(rating|stars)$/, 'rating'],
  [/(topics|keywords|tags|themes|categories|subjects|keyphrases)$/, 'topics'],
  [/(entities|people|persons|organizations|organisations|locations|places|names|mentions)$/, 'entities'],
  [/^(language|lang|locale|languagecode)$/, 'language'],
  [/^(name|entity|text|value)$/, 'name'],
  [/^(type|kind|category|class|entitytype)$/, 'type'],
  [/(count|length|wordcount|words)$/, 'count'],
  [/^(query|q|search|question|prompt|input|term|terms|keyword)$/, 'query'],
  [/(location|city|place|country|region)$/, 'location'],
  [/(url|uri|link|href)$/, 'url'],
  [/email$/, 'email'],
  [/^(expression|formula|calculation|equation)$/, 'expression'],
  [/^(number|amount|quantity|value|n|x|a|b)$/, 'number'],
];

export const hintOf = (name: string): Hint | undefined => {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return hintPatterns.find(([pattern]) => pattern.test(key))?.[1];
};

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}

const firstSentence = (text: string) => (text.split(/(?<=[.!?])\s/)[0] ?? text).trim();

// Hints whose value depends only on the text, not on the entity being described: found once.
export const textHints = new Set<Hint | undefined>([
  'title',
  'sentiment',
  'language',
  'topics',
  'query',
  'expression',
  'location',
  'url',
  'email',
]);

export function textValue(hint: Hint | undefined, source: ValueSource, maxChars: number): string {
  const { analysis, entity } = source;
  switch (hint) {
    case 'title':
      return firstSentence(analysis.summary).slice(0, 80);
    case 'sentiment':
      return analysis.sentiment.label;
    case 'language':
      return analysis.language;
    case 'topics':
      return analysis.topics[0] ?? '';
    case 'name':
      return entity?.name ?? analysis.entities[0]?.name ?? analysis.topics[0] ?? '';
    case 'type':
      return entity?.type ?? 'other';
    case 'query':
      return opening(analysis.text, maxChars);
    case 'expression':
      return analysis.firstExpression ?? opening(analysis.text, maxChars);
    case 'location':
      return (
        analysis.entities.find((e) => e.type === 'location')?.name ??
        analysis.entities.find((e) => e.type === 'other')?.name ??
        ''
      );
    case 'url':
      return analysis.firstUrl ?? '';
    case 'email':
      return analysis.firstEmail ?? '';
    default:
      return entity?.name ?? analysis.summary;
  }
}

/** The text trimmed, up to `maxChars`: only what is kept is looked at. */
function opening(text: string, maxChars: number): string {
  let start = 0;
  while (start < text.length && /\s/.test(text[start]!)) {
    start++;
    if (start > maxChars) return '';
  }
  return clip(text.slice(start, start + maxChars), maxChars).trimEnd();
}

export function numberFor(hint: Hint | undefined, source: ValueSource, schema: JsonSchema): number {
  const { sentiment } = source.analysis;
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  // Polarity -1..1 placed on the schema's own range (a 1-5 rating, a 0-1 score…).
  const onRange = (lo: number, hi: number) => lo + ((sentiment.score + 1) / 2) * (hi - lo);
  switch (hint) {
    case 'confidence':
      return sentiment.confidence;
    case 'score':
    case 'sentiment':
      return min !== undefined && max !== undefined ? onRange(min, max) : sentiment.score;
    case 'rating':
      return onRange(min ?? 1, max ?? 5);
    case 'count':
      return source.analysis.wordCount;
    case 'number':
      return Number(source.analysis.firstNumber ?? 0);
    default:
      return 0;
  }
}
