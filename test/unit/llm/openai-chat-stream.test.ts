import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../../../src/llm/llm-client.ts';
import { LlmError } from '../../../src/llm/llm-error.ts';
import type { ChatReply, ChatTransport } from '../../../src/llm/openai/chat-transport.ts';
import { createChatHttp } from '../../../src/llm/openai/openai-chat-http.ts';

const encoder = new TextEncoder();
const frame = (chunk: object | string) =>
  `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`;
const text = (content: string) => ({
  id: 'chatcmpl-1',
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});
const finish = { id: 'chatcmpl-1', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };

/** A transport whose reply body arrives in exactly these reads. */
function scripted(reads: string[]): ChatTransport {
  return {
    async post(): Promise<ChatReply> {
      return {
        status: 200,
        statusText: 'OK',
        header: () => null,
        text: async () => reads.join(''),
        async *chunks() {
          for (const read of reads) yield encoder.encode(read);
        },
        cancel: () => undefined,
      };
    },
  };
}

async function events(reads: string[]): Promise<{ events: ChatStreamEvent[]; error?: unknown }> {
  const http = createChatHttp({ baseURL: 'http://upstream/v1', transport: scripted(reads) });
  const seen: ChatStreamEvent[] = [];
  try {
    for await (const event of http.chatStream({ messages: [{ role: 'user', content: 'hi' }] }, 'm')) {
      seen.push(event);
    }
    return { events: seen };
  } catch (error) {
    return { events: seen, error };
  }
}

describe('the OpenAI stream reader', () => {
  it('hands the text chunks of one read on as one delta that keeps each piece', async () => {
    const { events: seen } = await events([
      frame(text('Hel')) + frame(text('lo')) + frame(text(', ')),
      frame(text('world')) + frame(finish) + frame('[DONE]'),
    ]);
    expect(seen).toEqual([
      { type: 'delta', content: 'Hello, ', pieces: ['Hel', 'lo', ', '] },
      { type: 'delta', content: 'world' },
      { type: 'done', id: 'chatcmpl-1', model: 'm', finishReason: 'stop', usage: null },
    ]);
  });

  it('keeps text and tool call deltas in the order they came', async () => {
    const call = {
      id: 'chatcmpl-1',
      model: 'm',
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '{}' } }] },
          finish_reason: null,
        },
      ],
    };
    const { events: seen } = await events([
      frame(text('a')) + frame(text('b')) + frame(call) + frame(text('c')) + frame(finish) + frame('[DONE]'),
    ]);
    expect(seen.map((e) => e.type)).toEqual(['delta', 'tool_call_delta', 'delta', 'done']);
    expect(seen[0]).toEqual({ type: 'delta', content: 'ab', pieces: ['a', 'b'] });
    expect(seen[2]).toEqual({ type: 'delta', content: 'c' });
  });

  it('delivers the text before an error in the same read, then fails', async () => {
    const failed = { error: { message: 'overloaded' } };
    const { events: seen, error } = await events([frame(text('part')) + frame(text('ial')) + frame(failed)]);
    expect(seen).toEqual([{ type: 'delta', content: 'partial', pieces: ['part', 'ial'] }]);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).message).toContain('overloaded');
  });

  it('delivers the text before an unreadable chunk in the same read, then fails', async () => {
    const { events: seen, error } = await events([frame(text('ok')) + frame('{not json')]);
    expect(seen).toEqual([{ type: 'delta', content: 'ok' }]);
    expect((error as LlmError).kind).toBe('invalid_response');
  });
});
