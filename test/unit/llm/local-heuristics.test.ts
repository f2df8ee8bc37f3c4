import { describe, expect, it } from 'vitest';
import { extractEntities } from '../../../src/llm/local/entities.ts';
import { detectLanguage } from '../../../src/llm/local/language.ts';
import { scoreSentiment } from '../../../src/llm/local/sentiment.ts';
import { summarize } from '../../../src/llm/local/summary.ts';
import { extractTopics } from '../../../src/llm/local/topics.ts';

describe('local text heuristics', () => {
  it('scores sentiment with negation and intensifiers', () => {
    expect(scoreSentiment('The support team was great and the product is excellent.').label).toBe('positive');
    expect(scoreSentiment('This is not good. The app is slow and it crashed twice.').label).toBe('negative');
    expect(scoreSentiment('The meeting is on Tuesday at ten.')).toEqual({
      label: 'neutral',
      confidence: 0.5,
      score: 0,
    });
    const strong = scoreSentiment('really terrible, awful, broken and useless');
    expect(strong.confidence).toBeGreaterThan(scoreSentiment('bad').confidence);
  });

  it('detects languages by function words and scripts', () => {
    expect(detectLanguage('The weather is nice and the trains are on time.')).toBe('en');
    expect(detectLanguage('Die Lieferung kam pünktlich und ist sehr gut.')).toBe('de');
    expect(detectLanguage('Le service était lent mais la nourriture était excellente.')).toBe('fr');
    expect(detectLanguage('El servicio fue rápido y la comida muy buena para todos.')).toBe('es');
    expect(detectLanguage('東京は日本の首都です。')).toBe('ja');
    expect(detectLanguage('Москва — столица России.')).toBe('ru');
    expect(detectLanguage('1234 5678')).toBe('und');
  });

  it('types capitalised phrases and skips ordinary sentence openers', () => {
    const entities = extractEntities(
      'Yesterday Tim Cook visited Acme Corp in Berlin. The NASA team joined. Then everyone left.',
    );
    expect(entities).toEqual([
      { name: 'Tim Cook', type: 'person' },
      { name: 'Acme Corp', type: 'organization' },
      { name: 'Berlin', type: 'location' },
      { name: 'NASA', type: 'organization' },
    ]);
  });

  it('does not take capitalised German nouns for names', () => {
    expect(
      extractEntities('Die Lieferung kam aus Berlin und die Qualität ist gut.', { language: 'de' }),
    ).toEqual([{ name: 'Berlin', type: 'location' }]);
  });

  it('ranks frequent content words as topics, folding plurals', () => {
    const topics = extractTopics(
      'Databases store data. A database index speeds up queries; indexes and queries matter.',
    );
    expect(topics.slice(0, 3)).toEqual(expect.arrayContaining(['database', 'index']));
    expect(topics).not.toContain('and');
  });

  it('summarises short texts as themselves and long ones by their central sentences', () => {
    expect(summarize('  Short   text. ')).toBe('Short text.');
    const long = `${'Postgres stores vectors with pgvector. '.repeat(1)}The weather was mild. Postgres indexes vectors with HNSW. Lunch was served at noon. Vectors in Postgres enable semantic search.`;
    const summary = summarize(long);
    expect(summary).toContain('Postgres');
    expect(summary).not.toContain('Lunch');
    expect(summarize('word '.repeat(500), 50).length).toBeLessThanOrEqual(50);
  });
});
