import { DurableObject } from 'cloudflare:workers';
import type { RateLimitPolicy } from '../../src/guards/rate-limit/rate-limit-policies.ts';
import {
  applyHit,
  type HitOutcome,
  type WindowState,
} from '../../src/guards/rate-limit/rate-limit-windows.ts';

interface StoredWindows {
  windows: WindowState;
  expiresAt: number;
}

/**
 * One rate-limit subject (route class + user or address) per object, so its hits are
 * serialised by the object. State lives in the object's SQLite storage and survives
 * eviction; an alarm at the end of the longest window deletes it.
 */
export class RateLimiterObject extends DurableObject {
  #alarmAt: number | undefined;

  async hit(policies: RateLimitPolicy[], now: number): Promise<HitOutcome> {
    const kv = this.ctx.storage.kv;
    // Read, decide and write with no await in between: nothing else runs in this object meanwhile.
    const result = applyHit(kv.get<StoredWindows>('windows')?.windows, policies, now);
    if (result.allowed) {
      kv.put<StoredWindows>('windows', { windows: result.state, expiresAt: result.expiresAt });
      await this.#cleanUpAt(result.expiresAt);
    }
    return { allowed: result.allowed, windows: result.windows };
  }

  override async alarm(): Promise<void> {
    const stored = this.ctx.storage.kv.get<StoredWindows>('windows');
    if (!stored || stored.expiresAt <= Date.now()) {
      this.#alarmAt = undefined;
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.#cleanUpAt(stored.expiresAt, true);
  }

  async #cleanUpAt(expiresAt: number, force = false): Promise<void> {
    if (!force && this.#alarmAt !== undefined && this.#alarmAt >= expiresAt) return;
    this.#alarmAt = expiresAt;
    await this.ctx.storage.setAlarm(expiresAt);
  }
}
