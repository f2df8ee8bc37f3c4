import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { createHttpRequestStatsAccumulator, upsertHttpRequestStats } from './http-request-stats.ts';
import { insertUsageEvents } from './insert-usage-events.ts';
import type { UsageEvent, UsageSink } from './usage-sink.ts';

/**
 * A usage sink for one request on a runtime without long-lived timers (Workers): events recorded
 * in the same tick go out in one INSERT, handed to `defer` (ctx.waitUntil) so the response never
 * waits for them and the runtime keeps the request alive until they are stored. The request's
 * own HTTP sample is one upsert into the per-minute stats, deferred the same way.
 */
export function createRequestUsageWriter(options: {
  db: Database;
  logger: Logger;
  defer: (work: Promise<unknown>) => void;
}): UsageSink {
  let batch: UsageEvent[] | undefined;
  let written: Promise<void> = Promise.resolve();
  return {
    record(event) {
      if (batch) {
        batch.push(event);
        return;
      }
      const current: UsageEvent[] = [event];
      batch = current;
      const work = Promise.resolve().then(async () => {
        batch = undefined;
        try {
          await insertUsageEvents(options.db, current);
        } catch (error) {
          options.logger.error('usage events not stored', { err: error, count: current.length });
        }
      });
      written = written.then(() => work);
      options.defer(work);
    },
    recordRequest(sample) {
      const stats = createHttpRequestStatsAccumulator();
      stats.add(sample);
      const work = upsertHttpRequestStats(options.db, stats.drain()).catch((error: unknown) => {
        options.logger.error('request stats not stored', { err: error });
      });
      written = written.then(() => work);
      options.defer(work);
    },
    flush: () => written,
  };
}
