import type { HttpBindings } from '@hono/node-server';
import type { ClientAddress } from '../guards/rate-limit/client-address.ts';

/** The socket peer of a request served by @hono/node-server (its bindings are the request env). */
export const nodeClientAddress: ClientAddress = (_request, env) =>
  (env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress;
