import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { type BreakerObservers, watchBreaker } from '../../../llm/resilience/breaker-events.ts';
import { ToolError } from '../tool-error.ts';
import type { OutboundHttp, OutboundResponse } from './outbound-http.ts';

export interface HostBreakerOptions extends BreakerObservers {
  /** Consecutive failures of one host that open its breaker (AGENT_HTTP_BREAKER_THRESHOLD). */
  threshold: number;
  /** How long an open breaker fails calls fast before one trial call (AGENT_HTTP_BREAKER_COOLDOWN_MS). */
  cooldownMs: number;
}

// A host that does not answer in time, cannot be reached or answers 5xx is failing. Our own refusals
// (a private address: a ToolError) and its 4xx answers say nothing about its health.
const isFailure = (error: unknown) => !(error instanceof ToolError);
const isServerError = (response: unknown) => (response as OutboundResponse).status >= 500;

/**
 * The http_request transport with a circuit breaker per host (`host[:port]`): after `threshold`
 * consecutive failures the host is not called for `cooldownMs`, and the tool fails at once with
 * ToolError `failed` ("breaker open for host ..."), which the model reads; then one trial call
 * closes it again or re-opens it. A 5xx answer is still returned to the tool. The breakers live
 * with this wrapper: per process (per isolate on Workers).
 */
export function withHostBreakers(transport: OutboundHttp, options: HostBreakerOptions): OutboundHttp {
  // Keyed by host names the allowlist admits (wildcards admit many), so bounded.
  const breakers = new LRUCache<string, { policy: CircuitBreakerPolicy; openedAt: number }>({ max: 1000 });
  const breakerFor = (host: string) => {
    let entry = breakers.get(host);
    if (!entry) {
      const policy = circuitBreaker(handleWhen(isFailure).orWhenResult(isServerError), {
        halfOpenAfter: options.cooldownMs,
        breaker: new ConsecutiveBreaker(options.threshold),
      });
      const created = { policy, openedAt: 0 };
      policy.onBreak(() => {
        created.openedAt = Date.now();
      });
      watchBreaker(policy, { breaker: 'http_request', key: host }, options);
      entry = created;
      breakers.set(host, entry);
    }
    return entry;
  };

  return async (request) => {
    const host = request.url.host;
    const breaker = breakerFor(host);
    try {
      return await breaker.policy.execute(() => transport(request));
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      const waitS = Math.max(1, Math.ceil((options.cooldownMs - (Date.now() - breaker.openedAt)) / 1000));
      throw new ToolError(
        'failed',
        `breaker open for host ${host}: it failed ${options.threshold} times in a row, so it is not called for ${waitS} s`,
      );
    }
  };
}
