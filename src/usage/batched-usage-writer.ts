import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { createHttpRequestStatsAccumulator, upsertHttpRequestStats } from './http-request-stats.ts';
import { insertUsageEvents } from './insert-usage-events.ts';
import type { UsageEvent, UsageSink } from './usage-sink.ts';

/** A usage sink that owns a timer: close it on shutdown so the last events are stored. */
export interface UsageWriter extends UsageSink {
  close(): Promise<void>;
}

/**
 * Buffers usage events and stores them in batches: when `batchSize` are waiting or
 * `flushIntervalMs` after the first one, whichever comes first. Writes run one at a time. When
 * a batch fails its events are stored one by one; those that still fail are retried once with
 * the next batch, then dropped and logged, so neither an outage nor a poison row loses the rest
 * or blocks accounting forever. At most `maxBuffered` events wait in memory.
 *
 * HTTP requests are folded into per-minute rows in memory and go out with the next write (at the
 * latest `flushIntervalMs` after the first): a few rows a minute however busy the instance is. A
 * failed write puts them back to be merged with the next one.
 */
export function createBatchedUsageWriter(options: {
  db: Database;
  logger: Logger;
  batchSize: number;
  flushIntervalMs: number;
  maxBuffered?: number;
}): UsageWriter {
  const maxBuffered = options.maxBuffered ?? 100_000;
  let buffer: UsageEvent[] = [];
  const requests = createHttpRequestStatsAccumulator();
  const retried = new WeakSet<UsageEvent>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(write, options.flushIntervalMs);
    // Never keep a Node process alive just to flush: shutdown calls close().
    (timer as { unref?: () => void }).unref?.();
  };

  function write(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0 && requests.size === 0) return writing;
    const batch = buffer;
    buffer = [];
    const stats = requests.drain();
    writing = writing.then(async () => {
      await upsertHttpRequestStats(options.db, stats).catch((error: unknown) => {
        options.logger.error('request stats not stored', { err: error, rows: stats.length });
        requests.restore(stats);
        schedule();
      });
      if (batch.length === 0) return;
      try {
        await insertUsageEvents(options.db, batch);
      } catch (error) {
        // One bad row must not sink its batch: store the rest one by one.
        const failed: UsageEvent[] = [];
        for (const event of batch) {
          await insertUsageEvents(options.db, [event]).catch(() => failed.push(event));
        }
        if (failed.length === 0) return;
        const again = failed.filter((e) => !retried.has(e));
        for (const e of again) retried.add(e);
        options.logger.error('usage events not stored', {
          err: error,
          count: failed.length,
          dropped: failed.length - again.length,
        });
        buffer = [...again, ...buffer].slice(-maxBuffered);
        if (buffer.length > 0) schedule();
      }
    });
    return writing;
  }

  return {
    record(event) {
      buffer.push(event);
      if (buffer.length > maxBuffered) buffer.shift();
      if (buffer.length >= options.batchSize) void write();
      else schedule();
    },
    recordRequest(sample) {
      requests.add(sample);
      schedule();
    },
    flush: write,
    close() {
      closed = true;
      return write();
    },
  };
}
