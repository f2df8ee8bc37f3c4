type Tokenizer = typeof import('gpt-tokenizer/encoding/cl100k_base');

/** Counts tokens synchronously once loaded; chunking counts thousands of sentences per document. */
export type CountTokens = (text: string) => number;

// The same encoding the gateway counts with (src/llm/tokens), loaded on first use so cold
// starts and routes that never chunk skip its table.
let tokenizer: Promise<Tokenizer> | undefined;
const asText = { disallowedSpecial: new Set<string>() };

export async function loadTokenCounter(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer/encoding/cl100k_base');
  const { countTokens } = await tokenizer;
  return (text) => (text.length === 0 ? 0 : countTokens(text, asText));
}
