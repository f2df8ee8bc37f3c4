import { describe, expect, it } from 'vitest';
import { extractEntities } from '../../../src/llm/local/entities.ts';
import { contextPassages, extractiveAnswer } from '../../../src/llm/local/extractive-answer.ts';
import { hashEmbed } from '../../../src/llm/local/hash-embedder.ts';
import { detectLanguage } from '../../../src/llm/local/language.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { scoreSentiment } from '../../../src/llm/local/sentiment.ts';
import { summarize } from '../../../src/llm/local/summary.ts';
import { analyseText } from '../../../src/llm/local/text-analysis.ts';
import { contentWords, sentences, words } from '../../../src/llm/local/text-features.ts';
import {
  firstEmail,
  firstExpression,
  firstNumber,
  firstUrl,
  wordCount,
} from '../../../src/llm/local/text-matches.ts';
import { extractTopics } from '../../../src/llm/local/topics.ts';
import { expectLinearGrowth } from '../../helpers/responsiveness.ts';

// Inputs shaped against each heuristic's regular expressions: long runs they used to rescan from
// every position (digits before no operator, letters before no "@", apostrophes before a letter,
// newlines each followed by a blank).
const inputs: [string, (n: number) => string][] = [
  ['digits', (n) => '7'.repeat(n)],
  ['letters', (n) => 'a'.repeat(n)],
  ['word characters and dots', (n) => 'a.'.repeat(n / 2)],
  ['apostrophes inside a word', (n) => `a${"'".repeat(n)}b`],
  ['newline, blank, repeated', (n) => '\n '.repeat(n / 2)],
  ['digits and blanks', (n) => '1 '.repeat(n / 2)],
  ['an operator chain without an end', (n) => `${'1+'.repeat(n / 2)}x`],
  ['an "@" after a long local part', (n) => `${'a'.repeat(n)}@b`],
  ['"@" repeated', (n) => 'a@'.repeat(n / 2)],
  ['a domain of dots', (n) => `a@b${'.c'.repeat(n / 2)}!`],
  ['a URL that never ends', (n) => `http://${'a'.repeat(n)}!`],
  ['capitalised words', (n) => 'Acme Corp '.repeat(n / 10)],
  ['titles and abbreviations', (n) => 'Dr. Mr. Inc. '.repeat(n / 13)],
  ['sentences', (n) => 'The release fixed the crash. Great work! '.repeat(n / 41)],
  ['CJK', (n) => '東京は日本の首都です'.repeat(n / 10)],
];

const heuristics: [string, (text: string) => unknown][] = [
  ['words', words],
  ['contentWords', contentWords],
  ['sentences', sentences],
  ['summarize', (t) => summarize(t)],
  ['scoreSentiment', scoreSentiment],
  ['detectLanguage', detectLanguage],
  ['extractTopics', (t) => extractTopics(t)],
  ['extractEntities', (t) => extractEntities(t)],
  ['extractiveAnswer', (t) => extractiveAnswer(t.slice(0, 200), contextPassages(t))],
  ['hashEmbed', (t) => hashEmbed(t, 64)],
  ['firstExpression', firstExpression],
  ['firstEmail', firstEmail],
  ['firstUrl', firstUrl],
  ['firstNumber', firstNumber],
  ['wordCount', wordCount],
];

const N = 100_000;

describe('local heuristics stay linear on adversarial text', () => {
  for (const [name, run] of heuristics) {
    it.each(inputs)(`${name}: %s`, async (_, make) => {
      await expectLinearGrowth((n) => run(make(n)), N, 10);
    });
  }
});

describe('the local provider stays linear end to end', () => {
  const local = createLocalClient({ embeddingDimensions: 64 });
  const tools = Array.from({ length: 128 }, (_, i) => ({
    name: `tool_${i}`,
    description: `Tool number ${i} evaluates an arithmetic expression or sends an email`,
    parameters: {
      type: 'object',
      properties: {
        expression: { type: 'string' },
        email: { type: 'string', format: 'email' },
        query: { type: 'string' },
        count: { type: 'integer' },
        number: { type: 'number' },
        link: { type: 'string', format: 'uri' },
        choice: { enum: Array.from({ length: 200 }, (_, k) => `option-${k}`) },
      },
    },
  }));

  it.each(inputs)('a tool call filled from the message: %s', async (_, make) => {
    await expectLinearGrowth(
      (n) => local.chat({ messages: [{ role: 'user', content: make(n) }], tools, toolChoice: 'required' }),
      N,
      10,
    );
  });

  it.each(inputs)('structured output and answers: %s', async (_, make) => {
    const schema = {
      type: 'object',
      properties: {
        summary: { type: 'string' },
        query: { type: 'string' },
        items: {
          type: 'array',
          minItems: 50,
          items: { type: 'object', properties: { count: { type: 'integer' }, email: { type: 'string' } } },
        },
      },
    };
    await expectLinearGrowth(
      async (n) => {
        const text = make(n);
        await local.chat({
          messages: [{ role: 'user', content: text }],
          responseFormat: { type: 'json_schema', name: 'x', schema },
        });
        await local.chat({
          messages: [
            { role: 'system', content: text },
            { role: 'user', content: text },
          ],
        });
        await local.embed({ texts: [text] });
      },
      N,
      10,
    );
  });

  it('finds the same values as before on ordinary text', () => {
    const a = analyseText(
      'Mail ops@acme.example or see https://acme.example/x. It costs 12.5, so 3 * (4 + 5) items.',
    );
    expect([a.firstEmail, a.firstUrl, a.firstNumber, a.firstExpression, a.wordCount]).toEqual([
      'ops@acme.example',
      'https://acme.example/x.',
      '12.5',
      '3 * (4 + 5)',
      15,
    ]);
    expect(words("rock 'n' roll''")).toEqual(['rock', 'n', 'roll']);
    expect(sentences('One.\n - two\n\nThree')).toEqual(['One.', '- two', 'Three']);
  });
});
