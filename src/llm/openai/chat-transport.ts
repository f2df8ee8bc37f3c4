/**
 * How the chat client sends one POST to an OpenAI-compatible server: the runtime's fetch by
 * default (Workers, tests), a pooled HTTP client from the Node entry (src/node/undici-chat-transport.ts),
 * where fetch's per-call cost (WHATWG Request, Response and streams) was most of the gateway's own.
 */
export interface ChatTransport {
  /**
   * Sends `body` to `url`; resolves once the status and headers are in. Rejects with the signal's
   * reason when it aborts, and with an Error (its `cause` saying why) when the server cannot be reached.
   */
  post(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<ChatReply>;
}

/** One reply: its body is read once, by `text()` or by `chunks()`, or given up with `cancel()`. */
export interface ChatReply {
  status: number;
  statusText: string;
  /** A header by its lower-case name. */
  header(name: string): string | null;
  text(): Promise<string>;
  /**
   * The body as it arrives, read as the consumer pulls. Rejects with the signal's reason when it
   * aborts, or with an Error when the connection breaks off.
   */
  chunks(): AsyncIterable<Uint8Array>;
  /** Stops reading and releases the connection (a no-op once the body has ended). */
  cancel(): void;
}

/** The runtime's fetch as a chat transport. */
export const fetchChatTransport: ChatTransport = {
  async post(url, headers, body, signal) {
    const response = await fetch(url, { method: 'POST', headers, body, signal });
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return {
      status: response.status,
      statusText: response.statusText,
      header: (name) => response.headers.get(name),
      text: () => response.text(),
      async *chunks() {
        if (!response.body) return;
        reader = response.body.getReader();
        for (;;) {
          const read = await reader.read();
          if (read.done) return;
          yield read.value;
        }
      },
      cancel: () => {
        (reader ?? response.body)?.cancel().catch(() => undefined);
      },
    };
  },
};
