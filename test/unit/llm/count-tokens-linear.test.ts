import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import {
  countCompletionTokens,
  countPromptTokens,
  countTextsTokens,
  countTextTokens,
  loadTokenCounter,
} from '../../../src/llm/tokens/count-tokens.ts';
import { expectLinearGrowth } from '../../helpers/responsiveness.ts';

// Fresh random text on every call: the tokenizer caches what it has seen, which would hide the cost.
let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = (alphabet: string) => {
  const chars = Array.from(alphabet);
  return (n: number) => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join('');
};

// Inputs BPE handles worst: one piece that never ends (BPE was quadratic in a piece's length).
const adversarial: [string, (n: number) => string][] = [
  ['one long word of random letters', pick('abcdefghijklmnopqrstuvwxyz')],
  ['one letter repeated', (n) => `${pick('bcd')(1)}${'a'.repeat(n - 1)}`],
  ['CJK without spaces', pick('漢字日本語中文字符東京')],
  ['emoji without spaces (surrogate pairs)', (n) => pick('😀😃🎉🚀')(Math.ceil(n / 2))],
  ['punctuation run', pick('!?.,;:-_#*')],
  ['base64', pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')],
  ['digits', pick('0123456789')],
  ['whitespace', (n) => `${' \t'.repeat(n / 2)}x`],
  ['newlines and spaces', (n) => `${'\n '.repeat(n / 2)}x`],
];

const asText = { disallowedSpecial: new Set<string>() };

describe('token counting stays linear on adversarial text', () => {
  it.each(adversarial)('countTextTokens: %s', async (_, make) => {
    await expectLinearGrowth((n) => countTextTokens(make(n)), 4000);
  });

  it.each(adversarial)('loadTokenCounter (chunking): %s', async (_, make) => {
    const count = await loadTokenCounter();
    await expectLinearGrowth((n) => count(make(n)), 4000);
  });

  it('prompt, completion and embedding counts too, up to a 1 MB body', async () => {
    const word = pick('abcdefghijklmnopqrstuvwxyz');
    await expectLinearGrowth(
      (n) => countPromptTokens({ messages: [{ role: 'user', content: word(n) }] }),
      64_000,
    );
    await expectLinearGrowth(
      (n) => countCompletionTokens(word(n), [{ name: 'f', arguments: word(n) }]),
      64_000,
    );
    await expectLinearGrowth((n) => countTextsTokens([word(n / 2), word(n / 2)]), 64_000);
    // The largest body, on the worst alphabet: one count stays far from a stall.
    const started = performance.now();
    await countTextTokens(pick('漢字日本語中文字符東京')(350_000));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('token counts of ordinary text are unchanged', () => {
  it('counts short text exactly as cl100k_base does', async () => {
    const texts = [
      'hello world',
      'The quick brown fox jumps over the lazy dog.\n\nA second paragraph, with numbers 12345 and émojis 🎉.',
      'def f(x):\n    return x * 2  # comment\n',
      '東京は日本の首都です。',
    ];
    const count = await loadTokenCounter();
    for (const text of texts) {
      expect(await countTextTokens(text)).toBe(countTokens(text, asText));
      expect(count(text)).toBe(countTokens(text, asText));
    }
  });

  it('counts long prose within a fraction of a percent of one whole-text count', async () => {
    const words = [
      'cairn',
      'stores',
      'documents',
      'and',
      'answers',
      'questions,',
      'with',
      'citations.',
      '\n\n',
    ];
    const prose = Array.from({ length: 6000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    const exact = countTokens(prose, asText);
    const counted = await countTextTokens(prose);
    expect(Math.abs(counted - exact) / exact).toBeLessThan(0.01);
  });

  it('extrapolates beyond its exact budget at the rate it measured', async () => {
    const prose = 'Tokens are counted exactly for the first part of a long text. '.repeat(4000);
    const exact = countTokens(prose, asText);
    expect(Math.abs((await countTextTokens(prose)) - exact) / exact).toBeLessThan(0.02);
  });
});
