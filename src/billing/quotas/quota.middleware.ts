import type { Context, MiddlewareHandler } from 'hono';
import type { Database } from '../../db/database.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { isStreamed, whenBodyEnds } from '../../http/streamed-body.ts';
import type { Logger } from '../../observability/logger.ts';
import { currentScope } from '../../observability/tracing.ts';
import type { QuotaDemand } from './quota-demands.ts';
import { usageQuotaExhausted } from './quota-errors.ts';
import { type QuotaAmounts, type Reservation, reserveQuota, settleQuota } from './quota-store.ts';

const SETTLE_RETRY_DELAYS_MS = [50, 250, 1000];
// Beyond its stream deadline (LLM_TIMEOUT_MS), a model call still running after its response is
// given this long to end before the settlement goes ahead with what was measured.
const CALLS_END_GRACE_MS = 1_000;

// Settlements still running in this process, per database: GET /usage waits for them so that a
// caller reads its own usage back, and shutdown can wait for them too.
const pending = new WeakMap<Database, Set<Promise<void>>>();

/** Resolves once every settlement this process started on `db` so far has been applied (or given up). */
export async function settlementsApplied(db: Database): Promise<void> {
  const running = pending.get(db);
  if (running) await Promise.all(running);
}

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
 * before the work, refusing with 429 `usage-quota-exhausted` when a quota has no room, and settles
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
    const result = await reserveQuota(deps.db, {
      userId: principal.userId,
      plan: principal.plan,
      amounts,
      reservationTtlS: deps.config.QUOTA_RESERVATION_TTL_S,
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
      if (!running || running.size === 0) return schedule(c, deps.db, result.reservation, actual);
      const waited = untilEnded(running, deps.config.LLM_TIMEOUT_MS + CALLS_END_GRACE_MS, () =>
        c.get('logger').warn('quota settled while a model call was still running', {
          user_id: principal.userId,
        }),
      ).then(() => schedule(c, deps.db, result.reservation, actual));
      waitUntilOf(c)?.(waited);
      return waited;
    };

    try {
      await next();
    } catch (error) {
      void settle();
      throw error;
    }
    // The content type before `body`: reading the body of a plain JSON response makes it a stream.
    const body = isStreamed(c.res.headers.get('content-type')) ? c.res.body : null;
    if (!body) {
      void settle();
      return;
    }
    // Settled when the body ends (read, failed or cancelled), kept alive on Workers by waitUntil.
    c.res = new Response(
      whenBodyEnds(body, () => {
        const settled = settle();
        waitUntilOf(c)?.(settled);
      }),
      c.res,
    );
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
  db: Database,
  reservation: Reservation,
  actual: () => QuotaAmounts,
): Promise<void> {
  const work = new Promise<void>((settled) => {
    let queue = queues.get(db);
    if (!queue) {
      queue = [];
      queues.set(db, queue);
    }
    queue.push({ reservation, used: actual(), logger: c.get('logger'), settled });
    if (!flushing.has(db)) {
      flushing.add(db);
      void flush(db, queue);
    }
  });
  let running = pending.get(db);
  if (!running) {
    running = new Set();
    pending.set(db, running);
  }
  running.add(work);
  void work.finally(() => running.delete(work));
  waitUntilOf(c)?.(work);
  return work;
}

interface QueuedSettlement {
  reservation: Reservation;
  used: QuotaAmounts;
  logger: Logger;
  settled: () => void;
}

// Settlements waiting for the one being written, per database. While a statement runs, the
// settlements of requests ending meanwhile gather here and go out together, one statement per
// user, day and period: under load a model request costs its reservation and a share of a
// settlement instead of two statements on the same row. (On Workers the database handle is the
// request's own, so nothing is shared between requests.)
const queues = new WeakMap<Database, QueuedSettlement[]>();
const flushing = new WeakSet<Database>();

const sumOf = (amounts: QuotaAmounts[]): QuotaAmounts => ({
  modelRequests: amounts.reduce((n, a) => n + a.modelRequests, 0),
  agentRuns: amounts.reduce((n, a) => n + a.agentRuns, 0),
  tokens: amounts.reduce((n, a) => n + a.tokens, 0),
  costUsd: amounts.reduce((n, a) => n + a.costUsd, 0),
});

async function flush(db: Database, queue: QueuedSettlement[]): Promise<void> {
  try {
    while (queue.length > 0) {
      const batch = queue.splice(0);
      const groups = new Map<string, QueuedSettlement[]>();
      for (const s of batch) {
        const key = `${s.reservation.userId}\u0000${s.reservation.day}\u0000${s.reservation.periodStart.getTime()}`;
        const group = groups.get(key);
        if (group) group.push(s);
        else groups.set(key, [s]);
      }
      await Promise.all(
        [...groups.values()].map((group) => {
          const first = group[0]!;
          const reservation = {
            ...first.reservation,
            amounts: sumOf(group.map((s) => s.reservation.amounts)),
          };
          return settleWithRetries(db, first.logger, reservation, sumOf(group.map((s) => s.used)));
        }),
      );
      for (const settlement of batch) settlement.settled();
    }
  } finally {
    // In the same turn as the last emptiness check, so a settlement queued next starts a new flush.
    flushing.delete(db);
  }
}

async function settleWithRetries(
  db: Database,
  logger: Logger,
  reservation: Reservation,
  used: QuotaAmounts,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await settleQuota(db, reservation, used);
      return;
    } catch (error) {
      const delay = SETTLE_RETRY_DELAYS_MS[attempt];
      if (delay === undefined) {
        logger.error('quota settlement failed', { err: error, user_id: reservation.userId });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
