// PostgreSQL restarted under a steady load: GET /usage and GET /documents (which need the
// database) and /health (which does not), from 8 loops, on a throwaway cluster. While it is down,
// cairn must answer 503 with Retry-After, never a 500 and never hang (an answer later than
// SLOW_MS counts as one; the client waits up to --client-timeout for it, to measure how long);
// once it is back, cairn must recover by itself: the time from "PostgreSQL accepts connections
// again" to the first 200 from a database route is reported, and to the last failure.
import { parseArgs } from 'node:util';
import { bearer, startCairn } from './cairn-process.ts';
import { type FaultRun, UNLIMITED } from './fault-run.ts';
import { percentile, round, type Sample, sleep, startLoad, statusCounts } from './load-loop.ts';
import { startPostgresInstance } from './postgres-instance.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string', default: '5' },
    outage: { type: 'string', default: '15' },
    after: { type: 'string', default: '15' },
    mode: { type: 'string', default: 'fast' },
    'client-timeout': { type: 'string' },
  },
  strict: false,
});
const BEFORE_S = Number(values.before);
const OUTAGE_S = Number(values.outage);
const AFTER_S = Number(values.after);
const MODE = values.mode === 'immediate' ? 'immediate' : 'fast';
const TIMEOUT_MS = Number(values['client-timeout'] ?? 30_000);
const SLOW_MS = 5000;

function phaseRow(phase: string, samples: Sample[]) {
  const data = samples.filter((s) => s.path !== '/health');
  const health = samples.filter((s) => s.path === '/health');
  const non2xx = data.filter((s) => s.status !== 200);
  return {
    phase,
    requests: data.length,
    statuses: JSON.stringify(statusCounts(data)),
    '503_with_retry_after': data.filter((s) => s.status === 503 && s.retryAfter).length,
    '500s': data.filter((s) => s.status >= 500 && s.status !== 503).length,
    [`slower_than_${SLOW_MS}ms`]: data.filter((s) => s.hang || s.ms > SLOW_MS).length,
    no_answer: data.filter((s) => s.hang).length,
    p50_ms: round(
      percentile(
        data.map((s) => s.ms),
        50,
      ),
    ),
    p99_ms: round(
      percentile(
        data.map((s) => s.ms),
        99,
      ),
    ),
    max_ms: round(Math.max(0, ...data.map((s) => s.ms))),
    problems: JSON.stringify([...new Set(non2xx.map((s) => s.problem))].slice(0, 4)),
    health: JSON.stringify(statusCounts(health)),
  };
}

export async function run(): Promise<FaultRun> {
  const instance = await startPostgresInstance();
  const defects: string[] = [];
  const rows: Record<string, unknown>[] = [];
  let recovery: Record<string, unknown> = {};
  try {
    const url = await instance.createDatabase('restart');
    const server = await startCairn({ DATABASE_URL: url, RATE_LIMIT_POLICIES: UNLIMITED, LOG_LEVEL: 'warn' });
    try {
      const headers = await bearer('faults-restart');
      // A document, so the list has a row to return.
      await fetch(`${server.url}/documents`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'restart', content: 'PostgreSQL restarts; cairn waits it out.' }),
      });
      const load = startLoad({
        baseUrl: server.url,
        concurrency: 8,
        timeoutMs: TIMEOUT_MS,
        pauseMs: 5,
        requests: [
          { path: '/usage', headers },
          { path: '/documents?limit=10', headers },
          { path: '/health' },
          { path: '/usage', headers },
          { path: '/documents?limit=10', headers },
        ],
      });
      await sleep(BEFORE_S * 1000);
      const stopAt = load.now();
      instance.stop(MODE);
      const stoppedAt = load.now();
      await sleep(OUTAGE_S * 1000);
      const startAt = load.now();
      instance.start();
      const upAt = load.now();
      await sleep(AFTER_S * 1000);
      const samples = await load.stop();

      const before = samples.filter((s) => s.at < stopAt);
      // Requests sent while the database was going down or down, until it accepted connections again.
      const outage = samples.filter((s) => s.at >= stopAt && s.at < upAt);
      const after = samples.filter((s) => s.at >= upAt);
      rows.push(phaseRow('before', before), phaseRow('outage', outage), phaseRow('after restart', after));
      const data = after.filter((s) => s.path !== '/health');
      const first200 = data.find((s) => s.status === 200);
      const lastFailure = [...data].reverse().find((s) => s.status !== 200);
      recovery = {
        stop_mode: MODE,
        stop_took_ms: round(stoppedAt - stopAt),
        start_took_ms: round(upAt - startAt),
        first_200_after_up_ms: first200 ? round(first200.at + first200.ms - upAt) : null,
        last_failure_after_up_ms: lastFailure ? round(lastFailure.at + lastFailure.ms - upAt) : 0,
        failures_after_up: JSON.stringify(statusCounts(data.filter((s) => s.status !== 200))),
      };
      rows.push({ phase: 'recovery', ...recovery });

      for (const [phase, set] of [
        ['outage', outage],
        ['after restart', after],
      ] as const) {
        const dataSet = set.filter((s) => s.path !== '/health');
        const bad = dataSet.filter((s) => s.status !== 200 && s.status !== 503);
        if (bad.length > 0)
          defects.push(
            `${phase}: ${bad.length} answers neither 200 nor 503: ${JSON.stringify(statusCounts(bad))}, e.g. ${JSON.stringify(bad.slice(0, 3).map((s) => ({ path: s.path, status: s.status, problem: s.problem })))}`,
          );
        const slow = dataSet.filter((s) => s.hang || s.ms > SLOW_MS);
        if (slow.length > 0)
          defects.push(
            `${phase}: ${slow.length}/${dataSet.length} requests waited more than ${SLOW_MS} ms (longest ${round(Math.max(...slow.map((s) => s.ms)))} ms; ${JSON.stringify(statusCounts(slow))})`,
          );
        const noRetryAfter = dataSet.filter((s) => s.status === 503 && !s.retryAfter);
        if (noRetryAfter.length > 0)
          defects.push(`${phase}: ${noRetryAfter.length} 503s without Retry-After`);
      }
      const healthBad = samples.filter((s) => s.path === '/health' && s.status !== 200);
      if (healthBad.length > 0)
        defects.push(
          `/health (no database) failed ${healthBad.length} times: ${JSON.stringify(statusCounts(healthBad))}`,
        );
      if (!first200) defects.push('no database route answered 200 after PostgreSQL came back');
      else if ((recovery.last_failure_after_up_ms as number) > 10_000)
        defects.push(`failures went on ${recovery.last_failure_after_up_ms} ms after PostgreSQL came back`);
    } finally {
      await server.stop();
    }
  } finally {
    await instance.destroy();
  }
  return {
    scenario: 'pg-restart',
    setup: {
      loops: 8,
      before_s: BEFORE_S,
      outage_s: OUTAGE_S,
      after_s: AFTER_S,
      client_timeout_ms: TIMEOUT_MS,
      stop_mode: MODE,
    },
    rows,
    defects,
  };
}
