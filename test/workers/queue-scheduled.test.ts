import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { queueDepthGauge } from '../../src/observability/instruments.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWorkerMetricsExport } from '../../src/observability/metrics-export/worker-metrics-export.ts';
import type { JobHandlers } from '../../src/queue/job-handler.ts';
import type { PublishedJob } from '../../src/queue/job-queue.ts';
import { insertJobs } from '../../src/queue/jobs-store.ts';
import worker from '../../workers/api.ts';
import type { Env } from '../../workers/env.ts';
import { requestDatabase } from '../../workers/request-database.ts';
import { runScheduledMaintenance } from '../../workers/scheduled.ts';

const env = bindings as unknown as Env;

/** Deps on the test database whose queue records what it is asked to send. */
function recordingDeps() {
  const db = requestDatabase(env);
  const published: PublishedJob[] = [];
  const deps = completeDeps(
    buildDeps({
      config: loadConfig({ ...env, LOG_LEVEL: 'silent' }),
      logger: createLogger({ level: 'silent', write: () => {} }),
      queue: { publish: async (jobs) => void published.push(...jobs) },
    }),
    db,
    { record: () => {}, recordRequest: () => {}, flush: async () => {} },
  );
  return { db, deps, published };
}

const jobRow = async (db: ReturnType<typeof requestDatabase>, id: string) =>
  rowsOf<{ status: string; attempts: number; last_error: string | null }>(
    await db.execute(sql`select status, attempts, last_error from jobs where id = ${id}`),
  )[0];

describe('the Workers cron handler maintains the jobs table', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('re-sends lost jobs, buries abandoned ones with onDead, and deletes finished ones past retention', async () => {
    const { db, deps, published } = recordingDeps();
    const dead: string[] = [];
    const handlers: JobHandlers = {
      'test.maintained': {
        run: async () => undefined,
        async onDead(_deps, payload, error) {
          dead.push(`${payload.n}: ${error}`);
        },
      },
    };
    const [lost, fresh, expired, abandoned, oldDone, recentDone] = await insertJobs(
      db,
      [1, 2, 3, 4, 5, 6].map((n) => ({ kind: 'test.maintained', payload: { n }, maxAttempts: 3 })),
    );
    const ago = sql`now() - interval '5 minutes'`;
    // The send after the commit failed: queued and due for five minutes, never delivered.
    await db.execute(sql`update jobs set run_at = ${ago}, updated_at = ${ago} where id = ${lost!.id}`);
    // The invocation died mid-job: running on an expired lease, attempts left / none left.
    await db.execute(sql`update jobs set status = 'running', attempts = 1, locked_by = 'gone',
      locked_until = ${ago}, run_at = ${ago}, updated_at = ${ago} where id = ${expired!.id}`);
    await db.execute(sql`update jobs set status = 'running', attempts = 3, locked_by = 'gone',
      locked_until = ${ago}, run_at = ${ago}, updated_at = ${ago} where id = ${abandoned!.id}`);
    await db.execute(sql`update jobs set status = 'done', finished_at = now() - interval '25 hours'
      where id = ${oldDone!.id}`);
    await db.execute(sql`update jobs set status = 'done', finished_at = now() - interval '1 hour'
      where id = ${recentDone!.id}`);

    const report = await runScheduledMaintenance(deps, handlers);
    const mine = new Set([lost, fresh, expired, abandoned, oldDone, recentDone].map((j) => j!.id));
    const resent = published.map((p) => p.id).filter((id) => mine.has(id));
    expect(resent.sort()).toEqual([lost!.id, expired!.id].sort());
    expect(report.republished).toBeGreaterThanOrEqual(2);
    expect(report.buried).toBeGreaterThanOrEqual(1);
    expect(await jobRow(db, abandoned!.id)).toEqual({
      status: 'dead',
      attempts: 3,
      last_error: 'worker lost while running the last attempt',
    });
    expect(dead).toEqual(['4: worker lost while running the last attempt']);
    expect(await jobRow(db, oldDone!.id)).toBeUndefined();
    expect((await jobRow(db, recentDone!.id))?.status).toBe('done');
    expect((await jobRow(db, fresh!.id))?.status).toBe('queued');

    // A second pass right after (cron runs overlap, or a minute is short) re-sends nothing again.
    published.length = 0;
    await runScheduledMaintenance(deps, handlers);
    expect(published.filter((p) => mine.has(p.id))).toEqual([]);
  });

  it("is the Worker's scheduled handler: a job whose message was lost runs after the cron fires", async () => {
    const db = requestDatabase(env);
    // No handler knows this kind, so once delivered it lands in the dead-letter store, saying so.
    const [job] = await insertJobs(db, [{ kind: 'test.lost-message', payload: {}, maxAttempts: 3 }]);
    const ago = sql`now() - interval '2 minutes'`;
    await db.execute(sql`update jobs set run_at = ${ago}, updated_at = ${ago} where id = ${job!.id}`);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    // The re-sent message goes through the real queue binding to the Worker's queue handler.
    for (let i = 0; i < 100 && (await jobRow(db, job!.id))?.status !== 'dead'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await jobRow(db, job!.id)).toEqual({
      status: 'dead',
      attempts: 1,
      last_error: 'no handler for job kind "test.lost-message"',
    });
  });

  it('records the queue depth by kind and status for the OTLP metrics export', async () => {
    const { db, deps } = recordingDeps();
    await insertJobs(
      db,
      [1, 2, 3].map((n) => ({ kind: 'test.depth', payload: { n }, maxAttempts: 3 })),
    );
    const sent: Request[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      sent.push(new Request(input, init));
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const metrics = createWorkerMetricsExport({
      url: 'https://otel.example.com/v1/metrics',
      headers: undefined,
      intervalMs: 60_000,
      serviceName: 'cairn',
      serviceVersion: 'test',
      logger: createLogger({ level: 'silent', write: () => {} }),
    });
    await runScheduledMaintenance(deps, {}, queueDepthGauge(metrics.meter));
    await metrics.exportNow();

    const body = (await sent[0]!.json()) as {
      resourceMetrics: {
        scopeMetrics: {
          metrics: {
            name: string;
            gauge?: {
              dataPoints: {
                asInt?: number;
                asDouble?: number;
                attributes: { key: string; value: { stringValue: string } }[];
              }[];
            };
          }[];
        }[];
      }[];
    };
    const depth = body.resourceMetrics
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .find((m) => m.name === 'cairn.queue.depth');
    const point = depth?.gauge?.dataPoints.find((p) =>
      p.attributes.some((a) => a.key === 'cairn.job.kind' && a.value.stringValue === 'test.depth'),
    );
    expect(point?.attributes).toContainEqual({ key: 'cairn.job.status', value: { stringValue: 'queued' } });
    expect(Number(point?.asInt ?? point?.asDouble)).toBeGreaterThanOrEqual(3);
  });
});
