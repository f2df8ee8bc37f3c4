import { type Entity, extractEntities } from './entities.ts';
import { detectLanguage } from './language.ts';
import { type Sentiment, scoreSentiment } from './sentiment.ts';
import { summarize } from './summary.ts';
import { extractTopics } from './topics.ts';

/** Everything the offline provider can say about a text; each part is computed on first use. */
export interface TextAnalysis {
  readonly text: string;
  readonly summary: string;
  readonly sentiment: Sentiment;
  readonly topics: string[];
  readonly entities: Entity[];
  readonly language: string;
}

export function analyseText(text: string): TextAnalysis {
  const memo: { -readonly [K in keyof TextAnalysis]?: TextAnalysis[K] } = {};
  return {
    text,
    get summary() {
      memo.summary ??= summarize(text);
      return memo.summary;
    },
    get sentiment() {
      memo.sentiment ??= scoreSentiment(text);
      return memo.sentiment;
    },
    get topics() {
      memo.topics ??= extractTopics(text, { language: this.language });
      return memo.topics;
    },
    get entities() {
      memo.entities ??= extractEntities(text, { language: this.language });
      return memo.entities;
    },
    get language() {
      memo.language ??= detectLanguage(text);
      return memo.language;
    },
  };
}
