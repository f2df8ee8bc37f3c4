import { describe, expect, it } from 'vitest';
import {
  countCompletionTokens,
  countPromptTokens,
  countTextTokens,
} from '../../../src/llm/tokens/count-tokens.ts';

describe('token counting', () => {
  it('counts text with the cl100k_base tokenizer', async () => {
    expect(await countTextTokens('')).toBe(0);
    expect(await countTextTokens('hello world')).toBe(2);
  });

  it('treats special-token text from callers as plain text', async () => {
    expect(await countTextTokens('before <|endoftext|> after')).toBeGreaterThan(3);
  });

  it('adds per-message framing, tool definitions and the response schema to prompts', async () => {
    const messages = [{ role: 'user' as const, content: 'hello world' }];
    const plain = await countPromptTokens({ messages });
    expect(plain).toBe(2 + 3 + 3);
    const withSchema = await countPromptTokens({
      messages,
      responseFormat: {
        type: 'json_schema',
        name: 'x',
        schema: { type: 'object', properties: { a: { type: 'string' } } },
      },
    });
    expect(withSchema).toBeGreaterThan(plain);
    const withTools = await countPromptTokens({
      messages,
      tools: [{ name: 'search', parameters: { type: 'object' } }],
    });
    expect(withTools).toBeGreaterThan(plain);
  });

  it('counts reply text and tool-call arguments', async () => {
    expect(await countCompletionTokens('hello world', [])).toBe(2);
    const call = { name: 'search', arguments: '{"q":"x"}' };
    expect(await countCompletionTokens(null, [call])).toBeGreaterThan(2);
  });
});
