import { Agent, request } from 'undici';
import type { ChatReply, ChatTransport } from '../llm/openai/chat-transport.ts';

/**
 * The chat transport of the Node entry: undici's `request` over one keep-alive pool per origin.
 * It does what fetch does for this one POST at a fraction of its CPU (no WHATWG Request, Response
 * or streams per call), which is most of what the gateway costs per request (docs/decisions/0010).
 */
export function createUndiciChatTransport(): ChatTransport {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  return {
    async post(url, headers, body, signal) {
      const response = await request(url, { method: 'POST', headers, body, signal, dispatcher });
      const { statusCode, statusText, headers: replyHeaders, body: stream } = response;
      const reply: ChatReply = {
        status: statusCode,
        statusText,
        header(name) {
          const value = replyHeaders[name];
          return (Array.isArray(value) ? value[0] : value) ?? null;
        },
        text: () => stream.text(),
        chunks: () => stream,
        cancel: () => {
          if (!stream.destroyed) stream.destroy();
        },
      };
      return reply;
    },
  };
}
