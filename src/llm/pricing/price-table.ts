import type { Config } from '../../config/schema.ts';
import type { TokenUsage } from '../llm-client.ts';
import { builtInPrices, type ModelPrice } from './prices.ts';

interface PricedCost {
  costUsd: number;
  /** False when the model has no price: the cost is 0 and the call is flagged. */
  priced: boolean;
}

/** Prices per model and the cost of a call's tokens. */
export interface PriceTable {
  priceOf(model: string): ModelPrice | undefined;
  cost(model: string, usage: TokenUsage): PricedCost;
}

// "gpt-4o-2024-08-06" → "gpt-4o": a family name followed by a date or version number.
const snapshotSuffix = /-\d[\d-]*$/;

export function createPriceTable(overrides: Config['PRICE_OVERRIDES'] = {}): PriceTable {
  const prices = new Map<string, ModelPrice>(Object.entries(builtInPrices));
  for (const [model, price] of Object.entries(overrides)) {
    prices.set(model, { input: price.input, output: price.output, cachedInput: price.cached_input });
  }
  const resolved = new Map<string, ModelPrice | undefined>();

  const lookup = (model: string): ModelPrice | undefined => {
    // Routers name models "vendor/model"; the price belongs to the model.
    const name = model.slice(model.lastIndexOf('/') + 1);
    return prices.get(model) ?? prices.get(name) ?? prices.get(name.replace(snapshotSuffix, ''));
  };

  const priceOf = (model: string) => {
    if (!resolved.has(model)) {
      // Bounded: model names come from callers, so never let the memo grow without limit.
      if (resolved.size >= 1000) resolved.clear();
      resolved.set(model, lookup(model));
    }
    return resolved.get(model);
  };

  return {
    priceOf,
    cost(model, usage) {
      const price = priceOf(model);
      if (!price) return { costUsd: 0, priced: false };
      const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
      const micro =
        (usage.inputTokens - cached) * price.input +
        cached * (price.cachedInput ?? price.input) +
        usage.outputTokens * price.output;
      return { costUsd: micro / 1_000_000, priced: true };
    },
  };
}
