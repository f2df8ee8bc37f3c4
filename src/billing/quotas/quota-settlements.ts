import type { Database } from '../../db/database.ts';
import type { Logger } from '../../observability/logger.ts';
import { addAmounts, type QuotaAmounts, type Reservation, settleQuota } from './quota-store.ts';

const SETTLE_RETRY_DELAYS_MS = [50, 250, 1000];

// Settlements still running in this process, per database: GET /usage waits for them so that a
// caller reads its own usage back, and shutdown can wait for them too.
const pending = new WeakMap<Database, Set<Promise<void>>>();

/** Resolves once every settlement this process started on `db` so far has been applied (or given up). */
export async function settlementsApplied(db: Database): Promise<void> {
  const running = pending.get(db);
  if (running) await Promise.all(running);
}

interface QueuedSettlement {
  reservation: Reservation;
  used: QuotaAmounts;
  logger: Logger;
  settled: () => void;
}

// Settlements waiting for the one being written, per database. While a statement runs, the
// settlements of requests ending meanwhile gather here and go out together, one statement per
// user, day and period: under load a model request costs a share of a settlement instead of a
// statement of its own on the user's row. (On Workers the database handle is the request's own,
// so nothing is shared between requests.)
const queues = new WeakMap<Database, QueuedSettlement[]>();
const flushing = new WeakSet<Database>();

/**
 * Releases `reservation` and adds what was `used` (nothing, for an allowance handed back), with
 * the settlements queued meanwhile; retried on failure, then logged. Never rejects.
 */
export function queueSettlement(
  db: Database,
  logger: Logger,
  reservation: Reservation,
  used: QuotaAmounts,
): Promise<void> {
  const work = new Promise<void>((settled) => {
    let queue = queues.get(db);
    if (!queue) {
      queue = [];
      queues.set(db, queue);
    }
    queue.push({ reservation, used, logger, settled });
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
  return work;
}

// A flush starts at most this often per database: under load the settlements of a few
// milliseconds go out together instead of a statement after each one ends.
const FLUSH_INTERVAL_MS = 50;
const lastFlush = new WeakMap<Database, number>();

async function flush(db: Database, queue: QueuedSettlement[]): Promise<void> {
  try {
    while (queue.length > 0) {
      const wait = (lastFlush.get(db) ?? 0) + FLUSH_INTERVAL_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastFlush.set(db, Date.now());
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
            amounts: addAmounts(group.map((s) => s.reservation.amounts)),
          };
          return settleWithRetries(db, first.logger, reservation, addAmounts(group.map((s) => s.used)));
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
