// A flapping model provider under load on /v1/chat/completions: the fake OpenAI server answers
// about half the calls with a 5xx and leaves some hanging, at random (seeded). Expected: the
// breaker opens (503 circuit-open answers, fewer calls reach the provider than cairn receives),
// every answer comes within the bound the timeouts set ((retries + 1) × LLM_TIMEOUT_MS plus the
// backoffs), no 500 and no hang, and a usage event is recorded for every call that succeeded.
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config/load-config.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { openPostgres } from '../../src/node/open-database.ts';
import { startFakeOpenAi } from '../../test/helpers/fake-openai-server.ts';
import { bearer, startCairn } from './cairn-process.ts';
import { type FaultRun, UNLIMITED } from './fault-run.ts';
import { percentile, round, sleep, startLoad, statusCounts } from './load-loop.ts';
import { startPostgresInstance } from './postgres-instance.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    connections: { type: 'string', default: '16' },
    'error-rate': { type: 'string', default: '0.45' },
    'hang-rate': { type: 'string', default: '0.1' },
  },
  strict: false,
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ERROR_RATE = Number(values['error-rate']);
const HANG_RATE = Number(values['hang-rate']);

const llm = {
  LLM_TIMEOUT_MS: '1000',
  LLM_FIRST_TOKEN_TIMEOUT_MS: '1000',
  LLM_MAX_RETRIES: '2',
  LLM_RETRY_BASE_DELAY_MS: '100',
  LLM_RETRY_MAX_DELAY_MS: '1000',
  LLM_BREAKER_THRESHOLD: '5',
  LLM_BREAKER_COOLDOWN_MS: '2000',
};
// The longest a call may take: every attempt times out, with the longest backoff between them.
const BOUND_MS =
  (Number(llm.LLM_MAX_RETRIES) + 1) * Number(llm.LLM_TIMEOUT_MS) +
  Number(llm.LLM_MAX_RETRIES) * Number(llm.LLM_RETRY_MAX_DELAY_MS);

/** A small seeded generator (mulberry32), so two runs flap the same way. */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function run(): Promise<FaultRun> {
  const random = seeded(11);
  const upstreamAnswers: Record<string, number> = {};
  const fake = await startFakeOpenAi({
    record: false,
    defaultReply: () => {
      const draw = random();
      const reply =
        draw < ERROR_RATE
          ? { kind: 'status' as const, status: [500, 502, 503][Math.floor(draw * 1000) % 3]! }
          : draw < ERROR_RATE + HANG_RATE
            ? { kind: 'hang' as const }
            : { kind: 'chat' as const, content: 'ok', usage: { prompt: 12, completion: 3 } };
      const key = reply.kind === 'status' ? String(reply.status) : reply.kind;
      upstreamAnswers[key] = (upstreamAnswers[key] ?? 0) + 1;
      return reply;
    },
  });
  const instance = await startPostgresInstance();
  const defects: string[] = [];
  const rows: Record<string, unknown>[] = [];
  try {
    const url = await instance.createDatabase('flapping');
    const server = await startCairn({
      DATABASE_URL: url,
      RATE_LIMIT_POLICIES: UNLIMITED,
      LLM_PROVIDER: 'openai',
      LLM_BASE_URL: fake.url,
      OPENAI_API_KEY: 'faults',
      ...llm,
    });
    let samples: Awaited<ReturnType<ReturnType<typeof startLoad>['stop']>> = [];
    try {
      const headers = await bearer('faults-flapping');
      const load = startLoad({
        baseUrl: server.url,
        concurrency: CONNECTIONS,
        timeoutMs: BOUND_MS * 3,
        requests: [
          {
            path: '/v1/chat/completions',
            method: 'POST',
            headers,
            body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say ok.' }] },
          },
        ],
      });
      await sleep(SECONDS * 1000);
      samples = await load.stop();
    } finally {
      // SIGTERM: the usage events still buffered are written before the process exits.
      await server.stop();
    }
    const breakerOpened = server.lines.filter((l) => l.includes('"breaker opened"')).length;
    const handle = openPostgres(loadConfig({}), url);
    const usage = rowsOf<{ status: string; n: number }>(
      await handle.db.execute(
        sql`select status, count(*)::int as n from usage_events group by status order by n desc`,
      ),
    );
    await handle.close();

    const latencies = samples.map((s) => s.ms);
    const ok = samples.filter((s) => s.status === 200).length;
    const usageOk = usage.find((u) => u.status === 'ok')?.n ?? 0;
    const upstreamCalls = Object.values(upstreamAnswers).reduce((a, b) => a + b, 0);
    const circuitOpen = samples.filter((s) => s.status === 503 && /circuit/.test(s.problem ?? '')).length;
    const row = {
      run: 'flapping upstream',
      requests: samples.length,
      statuses: JSON.stringify(statusCounts(samples)),
      ok_responses: ok,
      circuit_open_503: circuitOpen,
      breaker_opened_log_lines: breakerOpened,
      upstream_calls: upstreamCalls,
      upstream_answers: JSON.stringify(upstreamAnswers),
      '500s': samples.filter((s) => s.status === 500).length,
      hangs: samples.filter((s) => s.hang || s.status === 0).length,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(Math.max(0, ...latencies)),
      bound_ms: BOUND_MS,
      usage_events: JSON.stringify(Object.fromEntries(usage.map((u) => [u.status, u.n]))),
      usage_ok_vs_ok_responses: `${usageOk} / ${ok}`,
      problems: JSON.stringify([
        ...new Set(samples.filter((s) => s.status !== 200).map((s) => `${s.status} ${s.problem}`)),
      ]),
    };
    rows.push(row);
    if (row['500s'] > 0) defects.push(`${row['500s']} answers were 500`);
    if (row.hangs > 0) defects.push(`${row.hangs} requests got no answer within ${BOUND_MS * 3} ms`);
    if (row.max_ms > BOUND_MS + 500)
      defects.push(`the slowest answer took ${row.max_ms} ms, past the ${BOUND_MS} ms the timeouts allow`);
    if (breakerOpened === 0 || circuitOpen === 0)
      defects.push('the breaker never opened (no circuit-open answer)');
    if (usageOk !== ok) defects.push(`${usageOk} successful usage events for ${ok} successful responses`);
  } finally {
    await instance.destroy();
    await fake.close();
  }
  return {
    scenario: 'flapping-upstream',
    setup: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      upstream_error_rate: ERROR_RATE,
      upstream_hang_rate: HANG_RATE,
      ...llm,
    },
    rows,
    defects,
  };
}
