import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { enqueueJobs, withSendRetry } from '../../../src/queue/enqueue.ts';
import type { JobQueue, PublishedJob } from '../../../src/queue/job-queue.ts';
import { queueText } from '../../helpers/rag.ts';
import { createTestApp, useTestDatabase } from '../../helpers/test-app.ts';

/** A queue transport that fails its first `failures` sends (all of them with Infinity). */
function failingQueue(failures: number) {
  const sends: PublishedJob[][] = [];
  let calls = 0;
  const queue: JobQueue = {
    async publish(jobs) {
      calls++;
      if (calls <= failures) throw new Error('queue send failed: 503 from the queue service');
      sends.push(jobs);
    },
  };
  return { queue, sends, calls: () => calls };
}

function capture() {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) });
  return { logs, logger };
}

describe('queue send: bounded retries, then the jobs table keeps the job', () => {
  const database = useTestDatabase('pglite');
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };

  const statusOf = async (id: string) =>
    rowsOf<{ status: string }>(await database.db.execute(sql`select status from jobs where id = ${id}`))[0]
      ?.status;

  it('retries a failed send with growing backoff and delivers once it passes', async () => {
    const { logs, logger } = capture();
    const flaky = failingQueue(2);
    const queue = withSendRetry(flaky.queue, { logger, sleep });
    waits.length = 0;
    const [id] = await enqueueJobs({ ...createTestApp(database).deps, queue }, [
      { kind: 'test.noop', payload: {}, maxAttempts: 1 },
    ]);
    expect(flaky.calls()).toBe(3);
    expect(flaky.sends).toEqual([[{ id, delayMs: expect.any(Number) }]]);
    // Equal jitter: half of 200 ms then of 400 ms is fixed.
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
    expect(logs.filter((l) => l.msg === 'queue send retried').map((l) => l.attempt)).toEqual([1, 2]);
    expect(logs.some((l) => l.msg === 'queue send failed')).toBe(false);
  });

  it('gives up after the last attempt without failing the caller: the job stays queued, logged with its id', async () => {
    const { logs, logger } = capture();
    const down = failingQueue(Number.POSITIVE_INFINITY);
    const queue = withSendRetry(down.queue, { logger, sleep, attempts: 3 });
    const [id] = await enqueueJobs({ ...createTestApp(database).deps, queue }, [
      { kind: 'test.noop', payload: {}, maxAttempts: 1 },
    ]);
    expect(down.calls()).toBe(3);
    expect(await statusOf(id!)).toBe('queued');
    expect(logs.find((l) => l.msg === 'queue send failed')).toMatchObject({
      level: 'error',
      job_ids: [id],
      attempt: 3,
      left_queued: true,
    });
  });

  it('an upload whose queue send keeps failing still answers 202, its job queued for the sweep', async () => {
    const { logs, logger } = capture();
    const down = failingQueue(Number.POSITIVE_INFINITY);
    const t = createTestApp(database, { override: { queue: withSendRetry(down.queue, { logger, sleep }) } });
    const upload = await queueText(t, 'queue-send-alice', {
      title: 'Notes',
      content: 'Vacuum reclaims space.',
    });
    expect(down.calls()).toBe(3);
    expect(await statusOf(upload.job_id!)).toBe('queued');
    expect(logs.find((l) => l.msg === 'queue send failed')?.job_ids).toEqual([upload.job_id]);
  });

  it('sends nothing for an empty batch', async () => {
    const { logger } = capture();
    const idle = failingQueue(Number.POSITIVE_INFINITY);
    await withSendRetry(idle.queue, { logger, sleep }).publish([]);
    expect(idle.calls()).toBe(0);
  });
});
