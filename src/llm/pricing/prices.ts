/** USD per million tokens. `cachedInput` applies to the part of the input the provider served from its prompt cache. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
}

/**
 * List prices of common models (USD per 1M tokens) as published by their vendors; override or
 * extend them with PRICE_OVERRIDES. Dated snapshots ("gpt-4o-mini-2024-07-18") use their
 * family's price. The offline provider is free.
 */
export const builtInPrices: Record<string, ModelPrice> = {
  local: { input: 0, output: 0 },
  'local-hash-embedding': { input: 0, output: 0 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
};
