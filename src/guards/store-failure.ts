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

/** Counts a request a guard refused (`cairn.guard.rejections`, and the guard's own counters). */
export function rejected(ctx: GuardContext, guard: GuardName, reason: string): void {
  ctx.deps.guards.metrics.count(guard, reason);
  ctx.deps.telemetry.instruments.guardRejections.add(1, { 'cairn.guard': guard, 'cairn.reason': reason });
}

/**
 * A guard's store failed or timed out. Its configured failure mode decides: `open` lets
 * the request through unguarded, `closed` refuses it with 503. Either way it is logged
 * and counted, never an unhandled 500.
 */
export function storeFailed(ctx: GuardContext, guard: GuardName, error: unknown): void {
  const { config, guards } = ctx.deps;
  const mode = guard === 'idempotency' ? config.IDEMPOTENCY_FAILURE_MODE : config.RATE_LIMIT_FAILURE_MODE;
  ctx.logger.error('guard store failed', { guard, failure_mode: mode, err: error });
  if (mode === 'open') guards.metrics.count(guard, 'store-failed-open');
  else {
    rejected(ctx, guard, 'store-failed-closed');
    throw guardUnavailable(guard === 'idempotency' ? 'Idempotency checking' : 'Rate limiting');
  }
}
