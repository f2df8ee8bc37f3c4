import type { Database } from '../../db/database.ts';
import type { Logger } from '../../observability/logger.ts';
import { queueSettlement, settlementsApplied } from './quota-settlements.ts';
import {
  addAmounts,
  noAmounts,
  type QuotaAmounts,
  type Reservation,
  type ReserveResult,
  reserveQuota,
} from './quota-store.ts';

/**
 * Below this many requests a second (per user, in this process) each request reserves its own
 * estimate; from it on, a reservation covers the next requests too, up to MAX_BLOCK of them.
 */
const MIN_RATE = 4;
const MAX_BLOCK = 256;
/** An allowance unused this long is handed back. */
const IDLE_MS = 1_000;
/** After a block was refused (the quota is nearly used up), requests reserve one by one this long. */
const REFUSED_MS = 1_000;

export interface ReserveInput {
  userId: string;
  plan: string;
  amounts: QuotaAmounts;
  reservationTtlS: number;
  logger: Logger;
}

/**
 * What this process reserved ahead for one user's next requests under one plan: reserved in the
 * database like any request's estimate (so every instance's limit check counts it), handed to
 * requests here without a statement, and handed back once idle.
 */
interface Allowance {
  userId: string;
  /** The day and period it was reserved in; unset until the first block. */
  day?: string;
  periodStart?: Date;
  /** Epoch ms: when that day or period ends. */
  until: number;
  unallocated: QuotaAmounts;
  refilling?: Promise<void>;
  /** Epoch ms until which blocks are not tried: the last one was refused. */
  refusedUntil: number;
  lastUsed: number;
  /** Requests in the current one-second window and in the one before: the next block's size. */
  windowStart: number;
  seen: number;
  seenBefore: number;
  logger: Logger;
}

interface AllowanceTable {
  byKey: Map<string, Allowance>;
  sweep?: ReturnType<typeof setInterval>;
}

// One table per database: on Node the process's handle, shared by every request. On Workers each
// request has its own handle, so a table only ever sees one request and reserves exactly its estimate.
const tables = new WeakMap<Database, AllowanceTable>();

const dimensions = ['modelRequests', 'agentRuns', 'tokens', 'costUsd'] as const;
// Costs are fractional: a block of n estimates must hand out n of them despite rounding.
const EPSILON = 1e-9;

/** How many more requests of `amounts` the allowance can hand out. */
function requestsLeft(allowance: Allowance, amounts: QuotaAmounts): number {
  let left = Number.POSITIVE_INFINITY;
  for (const d of dimensions) {
    if (amounts[d] > 0) left = Math.min(left, Math.floor((allowance.unallocated[d] + EPSILON) / amounts[d]));
  }
  return left;
}

function take(allowance: Allowance, amounts: QuotaAmounts, now: number): Reservation | undefined {
  const { day, periodStart } = allowance;
  if (day === undefined || periodStart === undefined || now >= allowance.until) return undefined;
  if (requestsLeft(allowance, amounts) < 1) return undefined;
  for (const d of dimensions) allowance.unallocated[d] = Math.max(0, allowance.unallocated[d] - amounts[d]);
  return { userId: allowance.userId, amounts, day, periodStart };
}

function count(allowance: Allowance, now: number): void {
  allowance.lastUsed = now;
  if (now - allowance.windowStart >= 1_000) {
    allowance.seenBefore = now - allowance.windowStart < 2_000 ? allowance.seen : 0;
    allowance.windowStart = now;
    allowance.seen = 0;
  }
  allowance.seen++;
}

function blockSize(allowance: Allowance, now: number): number {
  if (now < allowance.refusedUntil) return 1;
  const rate = allowance.seen + allowance.seenBefore;
  return rate < MIN_RATE ? 1 : Math.min(MAX_BLOCK, rate);
}

/** Hands the unallocated rest back to the database (with the settlements queued meanwhile). */
function handBack(db: Database, allowance: Allowance): Promise<void> | undefined {
  const { day, periodStart, unallocated } = allowance;
  allowance.unallocated = noAmounts();
  if (day === undefined || periodStart === undefined) return undefined;
  if (dimensions.every((d) => unallocated[d] <= EPSILON)) return undefined;
  return queueSettlement(
    db,
    allowance.logger,
    { userId: allowance.userId, amounts: unallocated, day, periodStart },
    noAmounts(),
  );
}

/** Reserves a block of `k` estimates into the allowance; joins the refill already running. */
function refill(
  db: Database,
  allowance: Allowance,
  input: ReserveInput,
  k: number,
  now: number,
): Promise<void> {
  allowance.refilling ??= (async () => {
    try {
      // A block is taken only while what this instance then holds ahead would fit once more:
      // others always have at least that much room, and near a limit blocks stop.
      const block = addAmounts([input.amounts], k);
      const held = addAmounts([allowance.unallocated, block]);
      const result = await reserveQuota(db, { ...input, amounts: block, keepFree: held });
      if (!result.ok) {
        allowance.refusedUntil = now + REFUSED_MS;
        return;
      }
      const { day, periodStart } = result.reservation;
      if (allowance.day !== day || allowance.periodStart?.getTime() !== periodStart.getTime()) {
        void handBack(db, allowance);
        allowance.day = day;
        allowance.periodStart = periodStart;
      }
      allowance.until = result.until.getTime();
      startSweep(db, tableOf(db));
      allowance.unallocated = addAmounts([allowance.unallocated, result.reservation.amounts]);
    } finally {
      allowance.refilling = undefined;
    }
  })();
  return allowance.refilling;
}

function tableOf(db: Database): AllowanceTable {
  let table = tables.get(db);
  if (!table) {
    table = { byKey: new Map() };
    tables.set(db, table);
  }
  return table;
}

function allowanceOf(db: Database, input: ReserveInput, now: number): Allowance {
  const table = tableOf(db);
  const key = `${input.userId}\u0000${input.plan}`;
  let allowance = table.byKey.get(key);
  if (!allowance) {
    allowance = {
      userId: input.userId,
      until: 0,
      unallocated: noAmounts(),
      refusedUntil: 0,
      lastUsed: now,
      windowStart: now,
      seen: 0,
      seenBefore: 0,
      logger: input.logger,
    };
    table.byKey.set(key, allowance);
    // A lone user's entry holding nothing needs no sweep (a request's own table on Workers).
    if (table.byKey.size > 1) startSweep(db, table);
  }
  return allowance;
}

// Idle allowances are handed back and forgotten; the sweep stops once none is left.
function startSweep(db: Database, table: AllowanceTable): void {
  if (table.sweep) return;
  table.sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, allowance] of table.byKey) {
      if (allowance.refilling || now - allowance.lastUsed < IDLE_MS) continue;
      void handBack(db, allowance);
      table.byKey.delete(key);
    }
    if (table.byKey.size === 0) {
      clearInterval(table.sweep);
      table.sweep = undefined;
    }
  }, IDLE_MS);
  // Node: the sweep never keeps the process alive.
  (table.sweep as { unref?: () => void }).unref?.();
}

/**
 * Reserves a request's estimate. A user sending a few requests a second or more is served from
 * an allowance reserved ahead in blocks (sized by that rate, refilled before it runs out, taken
 * only while as much again stays free): the request itself usually makes no statement. When a
 * block does not fit, or the rate is low, the request reserves exactly its estimate, so a request
 * is refused only when its own estimate does not fit what every instance has used and reserved.
 */
export async function reserveAhead(db: Database, input: ReserveInput): Promise<ReserveResult> {
  const now = Date.now();
  const allowance = allowanceOf(db, input, now);
  count(allowance, now);
  const served = (): ReserveResult | undefined => {
    const reservation = take(allowance, input.amounts, now);
    if (!reservation) return undefined;
    const k = blockSize(allowance, now);
    // Refilled before it runs out, so the requests that follow need not wait for it.
    if (k > 1 && !allowance.refilling && requestsLeft(allowance, input.amounts) < k / 2) {
      refill(db, allowance, input, k, now).catch((error: unknown) =>
        input.logger.warn('quota allowance refill failed', { err: error, user_id: input.userId }),
      );
    }
    return { ok: true, reservation, until: new Date(allowance.until) };
  };

  const inHand = served();
  if (inHand) return inHand;
  if (allowance.refilling) {
    await allowance.refilling.catch(() => undefined);
    const refilled = served();
    if (refilled) return refilled;
  }
  const k = blockSize(allowance, now);
  if (k > 1) {
    await refill(db, allowance, input, k, now);
    const block = served();
    if (block) return block;
  }
  return reserveQuota(db, input);
}

/**
 * Hands back what this process reserved ahead (for one user, or everyone) and waits until it and
 * every settlement queued before it are applied: what GET /usage shows is then what requests hold.
 */
export async function returnAllowances(db: Database, userId?: string): Promise<void> {
  // Left in the table: a request of the user's still running may use it again (the sweep forgets it).
  for (const allowance of tables.get(db)?.byKey.values() ?? []) {
    if (userId !== undefined && allowance.userId !== userId) continue;
    await allowance.refilling?.catch(() => undefined);
    void handBack(db, allowance);
  }
  await settlementsApplied(db);
}
