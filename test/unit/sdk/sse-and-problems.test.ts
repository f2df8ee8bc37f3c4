import { describe, expect, it } from 'vitest';
import { CairnProblemError, parseSse, type SseFrame } from '../../../sdk/src/index.ts';

// A body delivered in the given pieces, as a network read might split it.
const body = (...pieces: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
      controller.close();
    },
  });

async function frames(stream: ReadableStream<Uint8Array>, options?: { maxFrameChars?: number }) {
  const out: SseFrame[] = [];
  for await (const frame of parseSse(stream, options)) out.push(frame);
  return out;
}

describe('parseSse', () => {
  it('reads named and unnamed events, multi-line data, comments, and every line ending', async () => {
    const text =
      ': comment\nevent: delta\ndata: {"a":1}\n\ndata: one\r\ndata:two\r\n\r\nid: 7\rdata: three\r\r';
    expect(await frames(body(text))).toEqual([
      { event: 'delta', data: '{"a":1}', id: undefined },
      { event: 'message', data: 'one\ntwo', id: undefined },
      { event: 'message', data: 'three', id: '7' },
    ]);
  });

  it('gives the same events whatever the chunking, a CRLF or a UTF-8 character split across reads', async () => {
    const text = 'event: a\r\ndata: é→😀\r\n\r\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    const whole = await frames(body(text));
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, cut));
          controller.enqueue(bytes.slice(cut));
          controller.close();
        },
      });
      expect(await frames(split)).toEqual(whole);
    }
    expect(whole.map((f) => f.data)).toEqual(['é→😀', '[DONE]']);
  });

  it('drops an event the stream cut off before its blank line', async () => {
    expect(await frames(body('data: whole\n\ndata: cut'))).toEqual([
      { event: 'message', data: 'whole', id: undefined },
    ]);
  });

  it('stops on an event longer than its bound instead of buffering it', async () => {
    await expect(frames(body(`data: ${'x'.repeat(2000)}`), { maxFrameChars: 1000 })).rejects.toThrow(
      /longer than 1000/,
    );
  });

  it('cancels the body when the caller stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const frame of parseSse(stream)) {
      expect(frame.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe('CairnProblemError.from', () => {
  it('reads problem+json with its fields, request id and Retry-After', () => {
    const response = new Response(null, { status: 429, headers: { 'retry-after': '3' } });
    const error = CairnProblemError.from(
      {
        type: 'urn:cairn:problem:quota-exceeded',
        title: 'Too Many Requests',
        status: 429,
        detail: 'Slow down',
        request_id: 'req-1',
        'violated-policies': ['model-1s'],
      },
      response,
    );
    expect(error).toMatchObject({
      status: 429,
      type: 'urn:cairn:problem:quota-exceeded',
      requestId: 'req-1',
    });
    expect(error.retryAfter).toBe(3);
    expect(error.errors).toEqual([]);
    expect(error.body).toHaveProperty('violated-policies');
  });

  it("maps OpenAI's error shape and non-JSON bodies onto the same fields", () => {
    const v1 = CairnProblemError.from(
      {
        error: {
          message: 'bad',
          type: 'invalid_request_error',
          param: 'messages[0].content',
          code: 'validation_error',
        },
      },
      new Response(null, { status: 400, headers: { 'x-request-id': 'req-2' } }),
    );
    expect(v1).toMatchObject({ status: 400, type: 'urn:cairn:problem:validation-error', requestId: 'req-2' });
    expect(v1.errors).toEqual([{ pointer: '/body/messages/0/content', detail: 'bad' }]);
    const text = CairnProblemError.from('Bad Gateway', new Response(null, { status: 502 }));
    expect(text).toMatchObject({ status: 502, type: 'about:blank', detail: 'Bad Gateway' });
  });
});
