import { describe, expect, it } from 'vitest';
import { createPriceTable } from '../../../src/llm/pricing/price-table.ts';

describe('price table', () => {
  const prices = createPriceTable();

  it('prices input and output tokens per million', () => {
    const { costUsd, priced } = prices.cost('gpt-4o-mini', {
      inputTokens: 1_000_000,
      outputTokens: 2_000_000,
    });
    expect(priced).toBe(true);
    expect(costUsd).toBeCloseTo(0.15 + 1.2, 10);
  });

  it('bills cached input at the cached price and never more cached tokens than input', () => {
    const cached = prices.cost('gpt-4o', { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 400 });
    expect(cached.costUsd).toBeCloseTo((600 * 2.5 + 400 * 1.25) / 1e6, 12);
    const overcounted = prices.cost('gpt-4o', { inputTokens: 100, outputTokens: 0, cachedInputTokens: 500 });
    expect(overcounted.costUsd).toBeCloseTo((100 * 1.25) / 1e6, 12);
  });

  it('prices dated snapshots and vendor-prefixed names as their family', () => {
    expect(prices.priceOf('gpt-4o-mini-2024-07-18')).toEqual(prices.priceOf('gpt-4o-mini'));
    expect(prices.priceOf('openai/gpt-4.1-nano')).toEqual(prices.priceOf('gpt-4.1-nano'));
    // A different model that merely starts with a known name is not guessed.
    expect(prices.priceOf('gpt-4o-audio-preview')).toBeUndefined();
  });

  it('costs unknown models 0 and flags them', () => {
    expect(prices.cost('my-finetune', { inputTokens: 5000, outputTokens: 5000 })).toEqual({
      costUsd: 0,
      priced: false,
    });
  });

  it('lets overrides replace and add prices', () => {
    const custom = createPriceTable({
      'gpt-4o-mini': { input: 1, output: 1 },
      'my-finetune': { input: 3, output: 6, cached_input: 1 },
    });
    expect(custom.cost('gpt-4o-mini', { inputTokens: 1e6, outputTokens: 0 }).costUsd).toBeCloseTo(1, 10);
    expect(
      custom.cost('my-finetune', { inputTokens: 2e6, outputTokens: 1e6, cachedInputTokens: 1e6 }).costUsd,
    ).toBeCloseTo(3 + 1 + 6, 10);
  });

  it('knows the local provider is free', () => {
    expect(prices.cost('local', { inputTokens: 1e6, outputTokens: 1e6 })).toEqual({
      costUsd: 0,
      priced: true,
    });
  });
});
