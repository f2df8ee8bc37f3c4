import { describe, expect, it } from 'vitest';
import {
  copyWhileStreaming,
  replayHeaders,
  storableHeaders,
} from '../../../src/guards/idempotency/stored-response.ts';

const encoder = new TextEncoder();

function source(chunks: string[], fail = false) {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (fail) controller.error(new Error('upstream broke'));
      else controller.close();
    },
  });
}

function copy(stream: ReadableStream<Uint8Array>, maxBytes = 1024) {
  const ends: (string | undefined)[] = [];
  const out = copyWhileStreaming(stream, maxBytes, async (bytes) => {
    ends.push(bytes && new TextDecoder().decode(bytes));
  });
  return { out, ends };
}

describe('storableHeaders', () => {
  it('keeps what describes the result and drops what describes this transfer or caller', () => {
    const headers = new Headers({
      'Content-Type': 'application/json',
      Location: '/x/1',
      'X-Request-Id': 'r1',
      RateLimit: '"a";r=1;t=1',
      'Content-Length': '12',
      'Set-Cookie': 's=1',
    });
    expect(storableHeaders(headers)).toEqual([
      ['content-type', 'application/json'],
      ['location', '/x/1'],
    ]);
  });

  it('replays repeated headers and marks the replay', () => {
    expect(
      replayHeaders({
        status: 200,
        body: new Uint8Array(),
        headers: [
          ['link', '<a>'],
          ['link', '<b>'],
        ],
      }),
    ).toEqual({ link: ['<a>', '<b>'], 'Idempotent-Replayed': 'true' });
  });
});

describe('copyWhileStreaming', () => {
  it('passes the stream through and hands over the whole body once it ends', async () => {
    const { out, ends } = copy(source(['data: a\n\n', 'data: b\n\n']));
    expect(await new Response(out).text()).toBe('data: a\n\ndata: b\n\n');
    expect(ends).toEqual(['data: a\n\ndata: b\n\n']);
  });

  it('reports nothing to store when the client cancels', async () => {
    const { out, ends } = copy(source(['one', 'two']));
    const reader = out.getReader();
    await reader.read();
    await reader.cancel('client went away');
    expect(ends).toEqual([undefined]);
  });

  it('reports nothing to store when the source fails', async () => {
    const { out, ends } = copy(source(['one'], true));
    await expect(new Response(out).text()).rejects.toThrow('upstream broke');
    expect(ends).toEqual([undefined]);
  });

  it('streams a body larger than maxBytes in full but does not keep it', async () => {
    const { out, ends } = copy(source(['12345', '67890']), 8);
    expect(await new Response(out).text()).toBe('1234567890');
    expect(ends).toEqual([undefined]);
  });
});
