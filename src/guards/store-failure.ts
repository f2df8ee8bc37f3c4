import type { Deps } from '../deps.ts';
import type { Logger } from '../observability/logger.ts';
import { guardUnavailable } from './guard-errors.ts';
import type { GuardName } from './guard-metrics.ts';

export interface GuardContext {
  deps: Deps;
  logger: Logger;
}

/** Rejects when `work` has not settled within `ms`; the store call itself keeps running. */
export async function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`guard store gave no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A guard's store failed or timed out. Its configured failure mode decides: `open` lets
 * the request through unguarded, `closed` refuses it with 503. Either way it is logged
 * and counted, never an unhandled 500.
 */
export function storeFailed(ctx: GuardContext, guard: GuardName, error: unknown): void {
  const { config, guards } = ctx.deps;
  const mode = guard === 'idempotency' ? config.IDEMPOTENCY_FAILURE_MODE : config.RATE_LIMIT_FAILURE_MODE;
  guards.metrics.count(guard, `store-failed-${mode}`);
  ctx.logger.error('guard store failed', { guard, failure_mode: mode, err: error });
  if (mode === 'closed') {
    throw guardUnavailable(guard === 'idempotency' ? 'Idempotency checking' : 'Rate limiting');
  }
}
