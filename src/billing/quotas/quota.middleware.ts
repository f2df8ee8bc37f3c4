import type { Context, MiddlewareHandler } from 'hono';
import type { AuthedEnv } from '../../http/app-env.ts';
import { onStreamedBodyEnd } from '../../http/streamed-body.ts';
import { currentScope } from '../../observability/tracing.ts';
import { reserveAhead } from './quota-allowances.ts';
import type { QuotaDemand } from './quota-demands.ts';
import { usageQuotaExhausted } from './quota-errors.ts';
import { queueSettlement } from './quota-settlements.ts';
import type { QuotaAmounts, Reservation } from './quota-store.ts';

// Beyond its stream deadline (LLM_TIMEOUT_MS), a model call still running after its response is
// given this long to end before the settlement goes ahead with what was measured.
const CALLS_END_GRACE_MS = 1_000;

function waitUntilOf(c: Context): ((work: Promise<unknown>) => void) | undefined {
  const env = c.env as { incoming?: unknown } | undefined;
  // No execution context under app.request() or @hono/node-server: Hono's getter would throw.
  if (env === undefined || env.incoming !== undefined) return undefined;
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work);
  } catch {
    return undefined;
  }
}

/**
 * The usage-quota guard (last in guarded()'s chain): reserves the route's estimate for the caller
 * before the work (from what was reserved ahead for the caller's next requests, when there is
 * room: quota-allowances.ts), refusing with 429 `usage-quota-exhausted` when a quota has no room, and settles
 * it with what the request's model calls actually used once the response (or its stream) and
 * those calls have ended (a client that hangs up mid-stream does not end the model's answer).
 * The settlement runs after the response: kept alive by waitUntil on Workers, tracked in-process
 * on Node, retried on failure. A failed request releases its reservation, keeping only what its
 * model calls used.
 */
export function enforceQuota(demand: QuotaDemand): MiddlewareHandler<AuthedEnv> {
  return async function quotaMiddleware(c, next) {
    const deps = c.get('deps');
    if (deps.config.QUOTA_ENFORCEMENT === 'off') return next();
    const principal = c.get('principal');
    const amounts = await demand({ body: await c.req.text(), deps });
    const result = await reserveAhead(deps.db, {
      userId: principal.userId,
      plan: principal.plan,
      amounts,
      reservationTtlS: deps.config.QUOTA_RESERVATION_TTL_S,
      logger: c.get('logger'),
    });
    if (!result.ok) throw usageQuotaExhausted(result.shortfall, deps.now());

    // The request's model calls add to its scope (src/observability/model-calls.ts).
    const scope = currentScope(deps.telemetry.context);
    const start = { calls: scope?.modelCalls ?? 0, tokens: scope?.tokens ?? 0, costUsd: scope?.costUsd ?? 0 };
    const actual = (): QuotaAmounts => {
      // Without a scope nothing was measured: keep the estimate, never less.
      if (!scope) return amounts;
      const calls = scope.modelCalls - start.calls;
      const succeeded = c.res.status < 400 && c.error === undefined;
      return {
        modelRequests: succeeded || calls > 0 ? amounts.modelRequests : 0,
        agentRuns: succeeded ? amounts.agentRuns : 0,
        tokens: scope.tokens - start.tokens,
        costUsd: scope.costUsd - start.costUsd,
      };
    };
    // A reader that hangs up ends the body, not the model calls feeding it (/chat finishes its
    // answer to store it): the settlement waits for them too, so their usage is charged. Only
    // then is it tracked for GET /usage, which should not wait on someone else's model call.
    const settle = (): Promise<void> => {
      const running = scope?.running;
      if (!running || running.size === 0) return schedule(c, result.reservation, actual);
      const waited = untilEnded(running, deps.config.LLM_TIMEOUT_MS + CALLS_END_GRACE_MS, () =>
        c.get('logger').warn('quota settled while a model call was still running', {
          user_id: principal.userId,
        }),
      ).then(() => schedule(c, result.reservation, actual));
      waitUntilOf(c)?.(waited);
      return waited;
    };

    try {
      await next();
    } catch (error) {
      void settle();
      throw error;
    }
    // Settled when the body ends (read, failed or cancelled), kept alive on Workers by waitUntil.
    const streamed = onStreamedBodyEnd(c, () => {
      const settled = settle();
      waitUntilOf(c)?.(settled);
    });
    if (!streamed) void settle();
  };
}

/** Resolves once every call in `running` (as it grows) has ended, or after `timeoutMs` (then `onTimeout`). */
async function untilEnded(
  running: Set<Promise<void>> | undefined,
  timeoutMs: number,
  onTimeout: () => void,
): Promise<void> {
  if (!running || running.size === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeoutMs);
  });
  try {
    // A call may start another before it ends (an agent's next step): wait until none is left.
    while (running.size > 0) {
      if ((await Promise.race([Promise.all(running), expired])) === 'expired') {
        onTimeout();
        return;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function schedule(
  c: Context<AuthedEnv>,
  reservation: Reservation,
  actual: () => QuotaAmounts,
): Promise<void> {
  const work = queueSettlement(c.get('deps').db, c.get('logger'), reservation, actual());
  waitUntilOf(c)?.(work);
  return work;
}
