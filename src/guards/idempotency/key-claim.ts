import { AppError } from '../../errors.ts';
import { inSpan } from '../../observability/tracing.ts';
import { idempotencyKeyInUse, idempotencyKeyMismatch } from '../guard-errors.ts';
import { type GuardContext, rejected, storeFailed, withinTimeout } from '../store-failure.ts';
import { parseIdempotencyKey } from './idempotency-key.ts';
import type { StoredResponse } from './idempotency-store.ts';

export interface IdempotentRequest {
  key: string;
  fingerprint: string;
  lease: string;
}

export type Claim =
  /** This request holds the key: run it, then store or release. */
  | { kind: 'run' }
  /** The store failed and idempotency fails open: run without a key. */
  | { kind: 'unguarded' }
  | { kind: 'replay'; response: StoredResponse };

// A request waiting on another holding its key should look again soon: most finish in seconds.
const IN_FLIGHT_RETRY_AFTER_S = 1;

/** The Idempotency-Key header's key; a malformed one is logged, counted and answered 400. */
export function readKey(ctx: GuardContext, header: string): string {
  try {
    return parseIdempotencyKey(header);
  } catch (error) {
    if (error instanceof AppError) {
      rejected(ctx, 'idempotency', 'invalid-key');
      ctx.logger.warn('request rejected', {
        guard: 'idempotency',
        reason: 'invalid-key',
        detail: error.errors?.[0]?.detail,
      });
    }
    throw error;
  }
}

/** Claims the request's key; throws 409 while another holds it and 422 for a different body. */
export function claimKey(ctx: GuardContext, request: IdempotentRequest): Promise<Claim> {
  return inSpan(
    ctx.deps.telemetry,
    'guard.idempotency',
    { attributes: { 'cairn.guard': 'idempotency' } },
    async (span) => {
      const claim = await claimOnce(ctx, request).catch((error: unknown) => {
        span.setAttribute('cairn.guard.decision', 'rejected');
        throw error;
      });
      span.setAttribute('cairn.guard.decision', claim.kind);
      return claim;
    },
  );
}

async function claimOnce(ctx: GuardContext, request: IdempotentRequest): Promise<Claim> {
  const { deps, logger } = ctx;
  const { config, guards } = deps;
  const pending = guards.idempotency.begin({
    ...request,
    now: deps.now().getTime(),
    lockTtlS: config.IDEMPOTENCY_LOCK_TTL_S,
    ttlS: config.IDEMPOTENCY_TTL_S,
  });
  let outcome: Awaited<typeof pending>;
  try {
    outcome = await withinTimeout(pending, config.GUARD_TIMEOUT_MS);
  } catch (error) {
    // A claim that lands after we gave up would block the key until its lock lapses.
    pending
      .then((late) => (late.kind === 'acquired' ? guards.idempotency.release(request) : undefined))
      .catch(() => {});
    storeFailed(ctx, 'idempotency', error);
    return { kind: 'unguarded' };
  }
  if (outcome.kind === 'acquired') return { kind: 'run' };
  if (outcome.kind === 'replay') {
    guards.metrics.count('idempotency', 'replayed');
    logger.info('idempotent replay', { guard: 'idempotency', status: outcome.response.status });
    return outcome;
  }
  rejected(ctx, 'idempotency', outcome.kind);
  logger.warn('request rejected', { guard: 'idempotency', reason: outcome.kind });
  throw outcome.kind === 'in-flight'
    ? idempotencyKeyInUse(IN_FLIGHT_RETRY_AFTER_S)
    : idempotencyKeyMismatch();
}

/**
 * Stores the response for replay. The work has happened, so a failure here is logged and
 * counted but never changes the response; the key stays locked until its lock lapses.
 */
export async function storeResponse(
  ctx: GuardContext,
  request: IdempotentRequest,
  response: StoredResponse,
): Promise<void> {
  const { deps, logger } = ctx;
  try {
    const stored = await withinTimeout(
      deps.guards.idempotency.complete({
        key: request.key,
        lease: request.lease,
        response,
        now: deps.now().getTime(),
        ttlS: deps.config.IDEMPOTENCY_TTL_S,
      }),
      deps.config.GUARD_TIMEOUT_MS,
    );
    if (!stored) {
      deps.guards.metrics.count('idempotency', 'lease-lost');
      logger.warn('idempotency lease lost before the response was stored', { guard: 'idempotency' });
    }
  } catch (error) {
    deps.guards.metrics.count('idempotency', 'store-failed-complete');
    logger.error('idempotency response not stored', { guard: 'idempotency', err: error });
  }
}

/** Frees the key so a retry can run (after a 5xx, a 429, or a response too large to keep). */
export async function releaseKey(
  ctx: GuardContext,
  request: IdempotentRequest,
  reason: string,
): Promise<void> {
  const { deps, logger } = ctx;
  deps.guards.metrics.count('idempotency', `released-${reason}`);
  logger.info('idempotency key released', { guard: 'idempotency', reason });
  try {
    await withinTimeout(
      deps.guards.idempotency.release({ key: request.key, lease: request.lease }),
      deps.config.GUARD_TIMEOUT_MS,
    );
  } catch (error) {
    deps.guards.metrics.count('idempotency', 'store-failed-release');
    logger.error('idempotency key not released', { guard: 'idempotency', err: error });
  }
}
