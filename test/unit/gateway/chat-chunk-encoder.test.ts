import { describe, expect, it } from 'vitest';
import { chunkEncoder } from '../../../src/gateway/v1/chat-completions.handlers.ts';
import type { AccountedStreamEvent, CallAccounting } from '../../../src/llm/llm-client.ts';

const options = { id: 'chatcmpl-req-1', created: 1_700_000_000, model: 'gpt-4o-mini', includeUsage: true };
const base = {
  id: options.id,
  object: 'chat.completion.chunk',
  created: options.created,
  model: options.model,
};
const delta = (d: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish, logprobs: null }] });

describe('the /v1 stream chunk encoder', () => {
  it('writes each piece of a delta as its own chunk, the role on the first only', () => {
    const encode = chunkEncoder(options);
    const pieces = ['Hel', 'lo "quoted"\n', 'é ✓'];
    expect(encode({ type: 'delta', content: pieces.join(''), pieces })).toEqual([
      delta({ role: 'assistant', content: 'Hel' }),
      delta({ content: 'lo "quoted"\n' }),
      delta({ content: 'é ✓' }),
    ]);
    expect(encode({ type: 'delta', content: 'more' })).toEqual([delta({ content: 'more' })]);
  });

  it('writes tool call deltas, the finish chunk and the usage chunk with its cost', () => {
    const encode = chunkEncoder(options);
    expect(encode({ type: 'tool_call_delta', index: 0, id: 'c1', name: 'f', arguments: '{"a"' })).toEqual([
      delta({
        role: 'assistant',
        tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a"' } }],
      }),
    ]);
    const accounting = { usage: { inputTokens: 3, outputTokens: 2 }, costUsd: 0.000015 } as CallAccounting;
    const done = {
      type: 'done',
      id: 'x',
      model: 'gpt-4o-mini-2024',
      finishReason: 'tool_calls',
      usage: null,
      accounting,
    } as AccountedStreamEvent;
    const [finish, usage] = encode(done);
    expect(finish).toBe(delta({}, 'tool_calls'));
    expect(JSON.parse(usage!)).toMatchObject({
      ...base,
      model: 'gpt-4o-mini-2024',
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      cairn: { cost_usd: expect.any(String) },
    });
  });

  it('leaves the usage chunk out unless it was asked for', () => {
    const encode = chunkEncoder({ ...options, includeUsage: false });
    encode({ type: 'delta', content: 'a' });
    const done = { type: 'done', id: 'x', model: 'm', finishReason: 'stop', usage: null } as const;
    expect(
      encode({
        ...done,
        accounting: { usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0 },
      } as AccountedStreamEvent),
    ).toEqual([delta({}, 'stop')]);
  });
});
