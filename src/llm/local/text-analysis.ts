import { type Entity, extractEntities } from './entities.ts';
import { detectLanguage } from './language.ts';
import { type Sentiment, scoreSentiment } from './sentiment.ts';
import { summarize } from './summary.ts';
import { firstEmail, firstExpression, firstNumber, firstUrl, wordCount } from './text-matches.ts';
import { extractTopics } from './topics.ts';

/** Everything the offline provider can say about a text; each part is computed on first use. */
export interface TextAnalysis {
  readonly text: string;
  readonly summary: string;
  readonly sentiment: Sentiment;
  readonly topics: string[];
  readonly entities: Entity[];
  readonly language: string;
  readonly wordCount: number;
  readonly firstNumber: string | undefined;
  readonly firstUrl: string | undefined;
  readonly firstEmail: string | undefined;
  readonly firstExpression: string | undefined;
}

export function analyseText(text: string): TextAnalysis {
  const memo: { -readonly [K in keyof TextAnalysis]?: TextAnalysis[K] } = {};
  // Found once per text: a schema may ask for the same value in a thousand places.
  const once = <K extends keyof TextAnalysis>(key: K, compute: () => TextAnalysis[K]): TextAnalysis[K] => {
    if (!(key in memo)) memo[key] = compute();
    return memo[key] as TextAnalysis[K];
  };
  return {
    text,
    get summary() {
      return once('summary', () => summarize(text));
    },
    get sentiment() {
      return once('sentiment', () => scoreSentiment(text));
    },
    get topics() {
      return once('topics', () => extractTopics(text, { language: this.language }));
    },
    get entities() {
      return once('entities', () => extractEntities(text, { language: this.language }));
    },
    get language() {
      return once('language', () => detectLanguage(text));
    },
    get wordCount() {
      return once('wordCount', () => wordCount(text));
    },
    get firstNumber() {
      return once('firstNumber', () => firstNumber(text));
    },
    get firstUrl() {
      return once('firstUrl', () => firstUrl(text));
    },
    get firstEmail() {
      return once('firstEmail', () => firstEmail(text));
    },
    get firstExpression() {
      return once('firstExpression', () => firstExpression(text));
    },
  };
}
