// The guards' store failing under load: rate limiting and idempotency on PostgreSQL
// (RATE_LIMIT_BACKEND=postgres, IDEMPOTENCY_BACKEND=postgres, on a throwaway cluster), which is
// stopped for a while. Two cairn processes share it: one fails open (RATE_LIMIT_FAILURE_MODE and
// IDEMPOTENCY_FAILURE_MODE `open`), one fails closed (both `closed`). The load is POST
// /v1/chat/completions on the local provider with a fresh Idempotency-Key each time (a route
// that needs no database of its own once the caller is known). Expected during the outage: the
// open process answers 200 (unguarded), the closed one 503 with Retry-After, each within about
// GUARD_TIMEOUT_MS per guard, never a 500 or a hang; both back to normal once it is up.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { bearer, type CairnProcess, startCairn } from './cairn-process.ts';
import type { FaultRun } from './fault-run.ts';
import { type Load, percentile, round, type Sample, sleep, startLoad, statusCounts } from './load-loop.ts';
import { startPostgresInstance } from './postgres-instance.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string', default: '5' },
    outage: { type: 'string', default: '12' },
    after: { type: 'string', default: '10' },
  },
  strict: false,
});
const BEFORE_S = Number(values.before);
const OUTAGE_S = Number(values.outage);
const AFTER_S = Number(values.after);
const GUARD_TIMEOUT_MS = 1000;
// Both guards may wait GUARD_TIMEOUT_MS on a store that does not answer, then the work itself.
const BOUND_MS = 2 * GUARD_TIMEOUT_MS + 1000;
const TIMEOUT_MS = 30_000;

function phaseRow(mode: string, phase: string, samples: Sample[]) {
  return {
    run: `${mode}: ${phase}`,
    requests: samples.length,
    statuses: JSON.stringify(statusCounts(samples)),
    '503_with_retry_after': samples.filter((s) => s.status === 503 && s.retryAfter).length,
    '500s': samples.filter((s) => s.status >= 500 && s.status !== 503).length,
    hangs: samples.filter((s) => s.hang).length,
    p50_ms: round(
      percentile(
        samples.map((s) => s.ms),
        50,
      ),
    ),
    p99_ms: round(
      percentile(
        samples.map((s) => s.ms),
        99,
      ),
    ),
    max_ms: round(Math.max(0, ...samples.map((s) => s.ms))),
    problems: JSON.stringify([...new Set(samples.filter((s) => s.status !== 200).map((s) => s.problem))]),
  };
}

export async function run(): Promise<FaultRun> {
  const instance = await startPostgresInstance();
  const defects: string[] = [];
  const rows: Record<string, unknown>[] = [];
  const servers: CairnProcess[] = [];
  try {
    const url = await instance.createDatabase('guards');
    const common = {
      DATABASE_URL: url,
      RATE_LIMIT_BACKEND: 'postgres',
      IDEMPOTENCY_BACKEND: 'postgres',
      // Real limits, far above this load: the limiter reads and writes its store on every request.
      RATE_LIMIT_POLICIES:
        'model:100000/1m;write:100000/1m;read:100000/1m;admin:100000/1m;anonymous:100000/1m',
      GUARD_TIMEOUT_MS: String(GUARD_TIMEOUT_MS),
      LOG_LEVEL: 'warn',
    };
    const modes = ['open', 'closed'] as const;
    for (const mode of modes) {
      servers.push(
        await startCairn({ ...common, RATE_LIMIT_FAILURE_MODE: mode, IDEMPOTENCY_FAILURE_MODE: mode }),
      );
    }
    const loads: Load[] = [];
    for (const [i, mode] of modes.entries()) {
      const headers = await bearer(`faults-guards-${mode}`);
      loads.push(
        startLoad({
          baseUrl: servers[i]!.url,
          concurrency: 4,
          timeoutMs: TIMEOUT_MS,
          pauseMs: 5,
          requests: () => ({
            path: '/v1/chat/completions',
            method: 'POST',
            headers: { ...headers, 'idempotency-key': randomUUID() },
            body: { model: 'local', messages: [{ role: 'user', content: 'Say ok.' }] },
          }),
        }),
      );
    }
    await sleep(BEFORE_S * 1000);
    const stopAt = loads.map((l) => l.now());
    instance.stop('fast');
    await sleep(OUTAGE_S * 1000);
    instance.start();
    const upAt = loads.map((l) => l.now());
    await sleep(AFTER_S * 1000);
    for (const [i, mode] of modes.entries()) {
      const samples = await loads[i]!.stop();
      const before = samples.filter((s) => s.at < stopAt[i]!);
      const outage = samples.filter((s) => s.at >= stopAt[i]! && s.at < upAt[i]!);
      const after = samples.filter((s) => s.at >= upAt[i]!);
      // The last 5 s: settled again.
      const settled = samples.filter((s) => s.at >= upAt[i]! + (AFTER_S - 5) * 1000);
      const outageRow = phaseRow(mode, 'outage', outage);
      rows.push(phaseRow(mode, 'before', before), outageRow, phaseRow(mode, 'after', after));
      const firstOk = after.find((s) => s.status === 200);
      rows.push({
        run: `${mode}: recovery`,
        first_200_after_up_ms: firstOk ? round(firstOk.at + firstOk.ms - upAt[i]!) : null,
        failures_in_last_5s: settled.filter((s) => s.status !== 200).length,
      });

      const expected = mode === 'open' ? 200 : 503;
      const wrong = outage.filter((s) => s.status !== expected);
      if (wrong.length > 0)
        defects.push(
          `${mode}: ${wrong.length}/${outage.length} answers during the outage were not ${expected}: ${JSON.stringify(statusCounts(wrong))} ${JSON.stringify([...new Set(wrong.map((s) => s.problem))].slice(0, 3))}`,
        );
      if (
        mode === 'closed' &&
        outageRow['503_with_retry_after'] !== outage.filter((s) => s.status === 503).length
      )
        defects.push('closed: a 503 without Retry-After');
      if (outageRow.max_ms > BOUND_MS)
        defects.push(
          `${mode}: the slowest answer during the outage took ${outageRow.max_ms} ms (bound ${BOUND_MS} ms: GUARD_TIMEOUT_MS per guard)`,
        );
      if (before.some((s) => s.status !== 200)) defects.push(`${mode}: failures before the outage`);
      if (settled.length === 0 || settled.some((s) => s.status !== 200))
        defects.push(`${mode}: not all 200 again 5 s after PostgreSQL came back`);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await instance.destroy();
  }
  return {
    scenario: 'guard-store',
    setup: {
      loops_per_process: 4,
      before_s: BEFORE_S,
      outage_s: OUTAGE_S,
      after_s: AFTER_S,
      GUARD_TIMEOUT_MS,
      bound_ms: BOUND_MS,
    },
    rows,
    defects,
  };
}
