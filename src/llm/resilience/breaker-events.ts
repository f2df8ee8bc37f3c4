import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';
import type { Logger } from '../../observability/logger.ts';

/** A breaker's state: `open` fails calls fast, `half_open` lets one trial call through. */
export type BreakerState = 'open' | 'half_open' | 'closed';

/** One transition of one breaker, as logged and as handed to `onStateChange`. */
export interface BreakerStateChange {
  /** The family: model calls (per provider and model) or the agents' `http_request` tool (per host). */
  breaker: 'llm' | 'http_request';
  /** Which breaker of the family: `provider:model`, or `host[:port]`. */
  key: string;
  state: BreakerState;
}

/** Called on every breaker transition (e.g. to count them); must not throw, and runs synchronously. */
export type OnBreakerStateChange = (change: BreakerStateChange) => void;

export interface BreakerObservers {
  logger?: Logger;
  onStateChange?: OnBreakerStateChange;
}

const states: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  // Held open by hand (cockatiel's isolate()); cairn never does, but it reads as open.
  [CircuitState.Isolated]: 'open',
};

/** Logs every transition of `policy` (open as a warning) and reports it to `onStateChange`. */
export function watchBreaker(
  policy: CircuitBreakerPolicy,
  identity: Omit<BreakerStateChange, 'state'>,
  observers: BreakerObservers,
): void {
  policy.onStateChange((circuit) => {
    const change: BreakerStateChange = { ...identity, state: states[circuit] };
    const fields = { breaker: change.breaker, breaker_key: change.key, state: change.state };
    if (change.state === 'open') observers.logger?.warn('breaker opened', fields);
    else observers.logger?.info('breaker state changed', fields);
    try {
      observers.onStateChange?.(change);
    } catch (error) {
      observers.logger?.error('breaker observer failed', { ...fields, err: error });
    }
  });
}
