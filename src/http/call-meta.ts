import type { Context } from 'hono';
import type { CallMeta } from '../llm/llm-client.ts';
import type { AuthedEnv } from './app-env.ts';

/**
 * Who a handler's model calls are made for. `serverRequestId` is generated here, once per
 * handler run: usage counts requests by it, since X-Request-Id is the client's to choose (and repeat).
 */
export const callMeta = (c: Context<AuthedEnv>, route: string): CallMeta => ({
  requestId: c.get('requestId'),
  serverRequestId: crypto.randomUUID(),
  userId: c.get('principal').userId,
  route,
});
