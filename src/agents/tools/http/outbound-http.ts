/** One outbound HTTP exchange, already checked against the allowlist by the http_request tool. */
export interface OutboundRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Bytes of body to read at most; the rest is not read and `truncated` is set. */
  maxBytes: number;
  /**
   * True when the allowlist names this host as an IP literal: the operator consented to that
   * address, so the private-address refusal does not apply to it.
   */
  allowPrivateAddress: boolean;
}

export interface OutboundResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Uint8Array;
  truncated: boolean;
}

/**
 * The transport behind http_request (a port): exactly one request, no redirect following (the
 * tool follows redirects itself, checking each hop). The Node backend resolves the name once,
 * refuses private addresses and connects to the address it checked; the fetch backend (Workers)
 * refuses IP-literal private hosts and leaves name resolution to the platform.
 */
export type OutboundHttp = (request: OutboundRequest) => Promise<OutboundResponse>;
