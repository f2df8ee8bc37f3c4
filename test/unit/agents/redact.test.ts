import { describe, expect, it } from 'vitest';
import { redactArguments } from '../../../src/agents/runs/redact.ts';

describe('redactArguments', () => {
  it('replaces values under secret-like names, at any depth', () => {
    expect(
      redactArguments({
        api_key: 'sk-1',
        headers: { Authorization: 'Bearer x', 'X-Api-Key': 'k' },
        nested: [{ accessToken: 't', password: 'p', client_secret: 's' }],
      }),
    ).toEqual({
      api_key: '[redacted]',
      headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]' },
      nested: [{ accessToken: '[redacted]', password: '[redacted]', client_secret: '[redacted]' }],
    });
  });

  it('keeps names that only contain a secret word', () => {
    const args = { max_tokens: 5, author: 'Ann', passage: 'text', keyword: 'k', tokenizer: 'cl100k' };
    expect(redactArguments(args)).toEqual(args);
  });

  it('removes credentials and secret query parameters from URLs, and leaves other text alone', () => {
    expect(redactArguments({ url: 'https://user:pw@api.example.com/v1?q=rates&api_key=abc&sig=zz' })).toEqual(
      { url: 'https://api.example.com/v1?q=rates&api_key=%5Bredacted%5D&sig=%5Bredacted%5D' },
    );
    expect(redactArguments('not a url: token=abc')).toBe('not a url: token=abc');
  });

  it('stops at a bounded depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(JSON.stringify(redactArguments(deep))).toContain('[redacted]');
  });
});
