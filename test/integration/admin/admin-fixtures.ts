import { randomUUID } from 'node:crypto';
import { jobs } from '../../../src/db/tables/jobs.ts';
import { type UsageEventRow, usageEvents } from '../../../src/db/tables/usage.ts';
import type { TestApp } from '../../helpers/test-app.ts';

/** Stores model-call usage events as the accounting wrapper would; each row overrides the defaults. */
export async function storeUsage(t: TestApp, rows: Partial<UsageEventRow>[]) {
  await t.deps.db.insert(usageEvents).values(
    rows.map((row) => ({
      createdAt: new Date(),
      serverRequestId: randomUUID(),
      userId: 'nobody',
      route: '/analyze',
      provider: 'local',
      model: 'cairn-local',
      operation: 'chat' as const,
      tokensIn: 10,
      tokensOut: 5,
      costUsd: '0.001',
      priced: true,
      latencyMs: 100,
      attempts: 1,
      status: 'ok',
      ...row,
    })),
  );
}

/** Stores a job that exhausted its attempts; returns its id. */
export async function storeDeadJob(t: TestApp, kind = 'test.unknown-kind'): Promise<string> {
  const [row] = await t.deps.db
    .insert(jobs)
    .values({ kind, payload: { n: 1 }, status: 'dead', attempts: 5, maxAttempts: 5, lastError: 'boom' })
    .returning({ id: jobs.id });
  return row!.id;
}
