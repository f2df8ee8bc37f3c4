import type { ClientAddress } from '../src/guards/rate-limit/client-address.ts';

/** Cloudflare puts the connecting client's address in CF-Connecting-IP; clients cannot forge it. */
export const cloudflareClientAddress: ClientAddress = (request) =>
  request.headers.get('CF-Connecting-IP') ?? undefined;
