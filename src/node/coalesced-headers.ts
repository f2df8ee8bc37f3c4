import { type ServerOptions, ServerResponse } from 'node:http';

/**
 * The Node server's response: when @hono/node-server flushes a streamed response's headers (it
 * does so for every stream, before reading its body), they wait until the end of the event loop's
 * turn, so a first chunk that is already there leaves with them in one write, one system call
 * instead of two. A stream whose first chunk is not ready still sends its headers within the turn.
 */
class CoalescedHeadersResponse extends ServerResponse {
  override flushHeaders(): void {
    setImmediate(() => {
      // `_headerSent`: Node's own flag (what flushHeaders itself goes by) that the header bytes
      // went out, with a body chunk or at the end; `headersSent` is already true after writeHead.
      const sent = (this as unknown as { _headerSent: boolean })._headerSent;
      if (!sent && !this.destroyed) super.flushHeaders();
    });
  }
}

/** The Node server's options, for `serve({ serverOptions })` in the entry and the tests alike. */
export const nodeServerOptions: ServerOptions = {
  // Generic in its request type, which the class does not narrow.
  ServerResponse: CoalescedHeadersResponse as typeof ServerResponse,
};
