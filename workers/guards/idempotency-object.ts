import { DurableObject } from 'cloudflare:workers';
import type {
  BeginOutcome,
  BeginRequest,
  CompleteRequest,
} from '../../src/guards/idempotency/idempotency-store.ts';
import {
  beginRecord,
  completeRecord,
  type IdempotencyRecord,
  releasable,
} from '../../src/guards/idempotency/memory-record-rules.ts';

/**
 * One scoped idempotency key per object, so claims on a key are serialised by the object.
 * The record (holder, then stored response) lives in SQLite storage and survives eviction;
 * an alarm at its expiry deletes it.
 */
export class IdempotencyObject extends DurableObject {
  #alarmAt: number | undefined;

  async begin(request: BeginRequest): Promise<BeginOutcome> {
    const kv = this.ctx.storage.kv;
    const { outcome, record } = beginRecord(kv.get<IdempotencyRecord>('record'), request);
    if (record) {
      kv.put('record', record);
      await this.#cleanUpAt(record.expiresAt);
    }
    return outcome;
  }

  async complete(request: CompleteRequest): Promise<boolean> {
    const kv = this.ctx.storage.kv;
    const record = completeRecord(kv.get<IdempotencyRecord>('record'), request);
    if (!record) return false;
    kv.put('record', record);
    await this.#cleanUpAt(record.expiresAt);
    return true;
  }

  release(lease: string): void {
    const kv = this.ctx.storage.kv;
    if (releasable(kv.get<IdempotencyRecord>('record'), lease)) kv.delete('record');
  }

  override async alarm(): Promise<void> {
    const record = this.ctx.storage.kv.get<IdempotencyRecord>('record');
    if (!record || record.expiresAt <= Date.now()) {
      this.#alarmAt = undefined;
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.#cleanUpAt(record.expiresAt, true);
  }

  // A completed record lives longer than its claim, so the alarm moves later, never earlier.
  async #cleanUpAt(expiresAt: number, force = false): Promise<void> {
    if (!force && this.#alarmAt !== undefined && this.#alarmAt >= expiresAt) return;
    this.#alarmAt = expiresAt;
    await this.ctx.storage.setAlarm(expiresAt);
  }
}
