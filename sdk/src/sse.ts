/** One Server-Sent Event: its name (`message` when the server gave none), its data and its id. */
export interface SseFrame {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Reads a `text/event-stream` body into events, as the WHATWG event-stream format defines it: lines
 * end with CRLF, LF or CR; `data` lines join with a newline; a blank line dispatches; comments and
 * unknown fields are skipped. A frame whose text passes `maxFrameChars` stops the stream with an
 * error, so a server that never ends a line cannot grow the buffer without bound. Breaking out of
 * the loop cancels the body.
 */
export async function* parseSse(
  body: ReadableStream<Uint8Array>,
  options: { maxFrameChars?: number } = {},
): AsyncGenerator<SseFrame, void, undefined> {
  const maxFrameChars = options.maxFrameChars ?? 16 * 1024 * 1024;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let frameChars = 0;
  let done = false;

  const line = (text: string): SseFrame | undefined => {
    if (text === '') {
      const frame = data.length > 0 ? { event: event || 'message', data: data.join('\n'), id } : undefined;
      data = [];
      event = '';
      frameChars = 0;
      return frame;
    }
    if (text.startsWith(':')) return undefined;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    return undefined;
  };

  try {
    while (!done) {
      const read = await reader.read();
      done = read.done;
      buffer += done ? decoder.decode() : decoder.decode(read.value, { stream: true });
      let start = 0;
      for (;;) {
        const cr = buffer.indexOf('\r', start);
        const lf = buffer.indexOf('\n', start);
        const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        if (end === -1) break;
        // A CR at the end of what has arrived may be the first half of a CRLF.
        if (end === cr && end === buffer.length - 1 && !done) break;
        const next = end === cr && buffer[end + 1] === '\n' ? end + 2 : end + 1;
        frameChars += end - start;
        const frame = line(buffer.slice(start, end));
        start = next;
        if (frame) yield frame;
      }
      buffer = buffer.slice(start);
      if (frameChars + buffer.length > maxFrameChars) {
        throw new Error(`An event of the stream is longer than ${maxFrameChars} characters.`);
      }
    }
    // The stream ended: a last line without its terminator still counts, an undispatched event not.
    if (buffer !== '') line(buffer);
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
