import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildDeps, completeDeps } from '../../src/build-deps.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { JobHandlers } from '../../src/queue/job-handler.ts';
import type { PublishedJob } from '../../src/queue/job-queue.ts';
import { insertJobs } from '../../src/queue/jobs-store.ts';
import type { Env } from '../../workers/env.ts';
import { consumeJobBatch } from '../../workers/queue-consumer.ts';
import { requestDatabase } from '../../workers/request-database.ts';

const env = bindings as unknown as Env;

describe('the Cloudflare Queues consumer bounds the work of one batch', () => {
  it('runs jobs until half a budget has gone, then re-sends the rest instead of holding them', async () => {
    const db = requestDatabase(env);
    const config = loadConfig({ ...env, JOB_TIMEOUT_MS: '400', LOG_LEVEL: 'silent' });
    const published: PublishedJob[] = [];
    const deps = completeDeps(
      buildDeps({
        config,
        logger: createLogger({ level: 'silent', write: () => {} }),
        queue: { publish: async (jobs) => void published.push(...jobs) },
      }),
      db,
      { record: () => {}, recordRequest: () => {}, flush: async () => {} },
    );
    const ran: string[] = [];
    const handlers: JobHandlers = {
      'test.slow': {
        async run(_deps, payload) {
          ran.push(String(payload.n));
          await new Promise((resolve) => setTimeout(resolve, 300));
          return undefined;
        },
      },
    };
    const jobs = await insertJobs(
      db,
      [1, 2, 3].map((n) => ({ kind: 'test.slow', payload: { n }, maxAttempts: 3 })),
    );
    const batch = createMessageBatch(
      'cairn-jobs',
      jobs.map((job, i) => ({
        id: `budget-${i}`,
        timestamp: new Date(),
        attempts: 1,
        body: { jobId: job.id },
      })),
    );
    const ctx = createExecutionContext();
    await consumeJobBatch(batch as MessageBatch<{ jobId: string }>, deps, handlers);
    const result = await getQueueResult(batch, ctx);
    // The first job took more than half the 400 ms budget: the other two wait for a fresh batch,
    // re-sent without spending one of Cloudflare's retries.
    expect(ran).toEqual(['1']);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toEqual([]);
    expect(published.map((p) => p.id)).toEqual([jobs[1]!.id, jobs[2]!.id]);
  });
});
