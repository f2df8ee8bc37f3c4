import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { usageEvents } from '../../../src/db/tables/usage.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createBatchedUsageWriter } from '../../../src/usage/batched-usage-writer.ts';
import { insertUsageEvents } from '../../../src/usage/insert-usage-events.ts';
import { createRequestUsageWriter } from '../../../src/usage/request-usage-writer.ts';
import type { UsageEvent } from '../../../src/usage/usage-sink.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { useTestDatabase } from '../../helpers/test-app.ts';

const usageEvent = (userId: string, requestId: string): UsageEvent => ({
  at: new Date(),
  requestId,
  userId,
  route: '/test',
  provider: 'local',
  model: 'local',
  operation: 'chat',
  tokensIn: 1,
  tokensOut: 1,
  cachedTokensIn: 0,
  reasoningTokens: 0,
  tokensEstimated: true,
  costUsd: 0,
  priced: true,
  latencyMs: 1,
  attempts: 1,
  status: 'ok',
});

describe.each(databaseKinds)('usage writers on %s', (kind) => {
  const database = useTestDatabase(kind);

  /** Events, a logger and a count of stored rows of one user: each test writes as its own user. */
  function writerTest(userId: string) {
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) });
    const stored = async () =>
      (await database.db.select({ n: count() }).from(usageEvents).where(eq(usageEvents.userId, userId)))[0]!
        .n;
    return { event: (requestId: string) => usageEvent(userId, requestId), logs, logger, stored };
  }

  it('stores every field as given: costs in exponent form, Unicode, quotes and absent ids', async () => {
    const at = new Date('2026-11-30T12:34:56.789Z');
    const unusual = {
      requestId: 'quote " \\ back\u00e9\u{1F600}',
      serverRequestId: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
      model: 'm\u00f6del "x"',
      tokensIn: 2_000_000_000,
      cachedTokensIn: 5,
      reasoningTokens: 7,
      tokensEstimated: false,
      priced: false,
      attempts: 3,
      status: 'timeout',
    };
    await insertUsageEvents(database.db, [
      { ...usageEvent('writer-fields', ''), ...unusual, at, costUsd: 1.5e-7 },
      { ...usageEvent('writer-fields', ''), at, requestId: undefined, route: undefined, costUsd: 12.3456789 },
    ]);
    const rows = await database.db
      .select()
      .from(usageEvents)
      .where(eq(usageEvents.userId, 'writer-fields'))
      .orderBy(usageEvents.id);
    expect(rows).toMatchObject([
      { ...unusual, createdAt: at },
      { requestId: null, serverRequestId: null, route: null },
    ]);
    expect(Number(rows[0]!.costUsd)).toBe(1.5e-7);
    expect(Number(rows[1]!.costUsd)).toBe(12.3456789);
  });

  it('holds events until a flush, then stores them in one batch', async () => {
    const { event, logger, stored } = writerTest('writer-flush');
    const writer = createBatchedUsageWriter({
      db: database.db,
      logger,
      batchSize: 100,
      flushIntervalMs: 60_000,
    });
    writer.record(event('a'));
    writer.record(event('b'));
    expect(await stored()).toBe(0);
    await writer.flush();
    expect(await stored()).toBe(2);
    await writer.close();
  });

  it('writes as soon as a batch is full', async () => {
    const { event, logger, stored } = writerTest('writer-full');
    const writer = createBatchedUsageWriter({
      db: database.db,
      logger,
      batchSize: 3,
      flushIntervalMs: 60_000,
    });
    for (const id of ['a', 'b', 'c']) writer.record(event(id));
    await expect.poll(stored).toBe(3);
    await writer.close();
  });

  it('writes on its interval without being asked', async () => {
    const { event, logger, stored } = writerTest('writer-interval');
    const writer = createBatchedUsageWriter({ db: database.db, logger, batchSize: 100, flushIntervalMs: 20 });
    writer.record(event('a'));
    await expect.poll(stored).toBe(1);
    await writer.close();
  });

  it('stores what is left on close', async () => {
    const { event, logger, stored } = writerTest('writer-close');
    const writer = createBatchedUsageWriter({
      db: database.db,
      logger,
      batchSize: 100,
      flushIntervalMs: 60_000,
    });
    writer.record(event('a'));
    await writer.close();
    expect(await stored()).toBe(1);
  });

  it('stores the good events of a failing batch and drops a poison event after one retry', async () => {
    const { event, logs, logger, stored } = writerTest('writer-poison');
    const writer = createBatchedUsageWriter({
      db: database.db,
      logger,
      batchSize: 100,
      flushIntervalMs: 60_000,
    });
    writer.record({ ...event('poison'), latencyMs: 2 ** 40 });
    writer.record(event('ok'));
    await writer.flush();
    await writer.flush();
    await writer.flush();
    expect(await stored()).toBe(1);
    expect(logs.filter((l) => l.msg === 'usage events not stored')).toHaveLength(2);
    expect(logs.at(-1)).toMatchObject({ count: 1, dropped: 1 });
    await writer.close();
  });

  it('hands each request batch to waitUntil-style defer', async () => {
    const { event, logger, stored } = writerTest('writer-defer');
    const deferred: Promise<unknown>[] = [];
    const writer = createRequestUsageWriter({
      db: database.db,
      logger,
      defer: (work) => deferred.push(work),
    });
    writer.record(event('a'));
    writer.record(event('b'));
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect(await stored()).toBe(2);
    writer.record(event('c'));
    await writer.flush();
    expect(await stored()).toBe(3);
  });
});
