import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../helpers/json-request.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

// A real Prometheus (Debian's `prometheus` package; .ci/run installs it) scrapes a real server
// with the shipped scrape config, then answers the dashboard's queries over its HTTP API.
const PROMETHEUS = process.env.PROMETHEUS_PATH ?? 'prometheus';
const hasPrometheus = spawnSync(PROMETHEUS, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPrometheus) {
  console.warn(
    `test/e2e/prometheus.test.ts skipped: no "${PROMETHEUS}" binary (apt-get install prometheus, or set PROMETHEUS_PATH)`,
  );
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const METRICS_TOKEN = 'e2e-metrics-token-0123456789abcdef';
const WINDOW = '30s';
// Every route the load touches, so every series exists before the measured load (a counter's
// first sample is its baseline: increments before it never show in rate()).
const API = 'http_route!="/metrics"';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

interface PrometheusProcess {
  url: string;
  query(expr: string): Promise<Sample[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus on a free port with deploy/prometheus/prometheus.yml, scraping `target` every second. */
async function startPrometheus(target: string, dir: string): Promise<PrometheusProcess> {
  const shipped = await readFile(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8');
  const tokenFile = path.join(dir, 'metrics-token');
  await writeFile(tokenFile, METRICS_TOKEN, { mode: 0o600 });
  let config = shipped;
  const edits: [string, string][] = [
    ['scrape_interval: 15s', 'scrape_interval: 1s'],
    ['evaluation_interval: 15s', 'evaluation_interval: 1s'],
    ['credentials_file: /prometheus/metrics-token', `credentials_file: ${tokenFile}`],
    ['"api:8787"', `"${target}"`],
  ];
  for (const [from, to] of edits) {
    expect(config, `deploy/prometheus/prometheus.yml has ${from}`).toContain(from);
    config = config.replace(from, to);
  }
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await until('Prometheus to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      return (await fetch(`${url}/-/ready`)).ok || undefined;
    });
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: Sample[] };
      };
      if (body.status !== 'success') throw new Error(`query failed: ${expr}: ${body.error}`);
      if (body.data?.resultType !== 'vector') throw new Error(`not a vector: ${expr}`);
      return body.data.result;
    },
    stop,
  };
}

const values = (samples: Sample[]) => samples.map((s) => Number(s.value[1]));
const only = (samples: Sample[], expr: string) => {
  expect(samples, expr).toHaveLength(1);
  return Number(samples[0]!.value[1]);
};

/** The panels of deploy/grafana/cairn.json and their queries. */
interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
}

describe.skipIf(!hasPrometheus)('Prometheus scraping GET /metrics', () => {
  let server: ServerProcess;
  let prometheus: PrometheusProcess;
  let dir: string;
  /** Statuses of the measured load, per request, as the client saw them. */
  const statuses: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-prometheus-'));
    server = await startServer({
      JWT_SECRET: TEST_JWT_SECRET,
      METRICS_TOKEN,
      // The local model priced like a small hosted one, so cost metrics are not all zero.
      PRICE_OVERRIDES: JSON.stringify({ local: { input: 0.15, output: 0.6 } }),
      // Roomy limits, but a small `read` burst: GET /me is refused (429) past 3 a second.
      RATE_LIMIT_POLICIES: 'model:1000/1s;write:1000/1s;read:3/1s;admin:1000/1s;anonymous:1000/1s',
    });
    prometheus = await startPrometheus(new URL(server.baseUrl).host, dir);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // One request of every kind the load sends, answered with the status given.
  const kinds: [string, () => Promise<Response>][] = [
    [
      'analyze',
      () =>
        server.as(
          'prom-analyze',
          '/analyze',
          postJson({ text: 'Acme Corp shipped search in Berlin. Customers love it.' }),
        ),
    ],
    ['analyze-invalid', () => server.as('prom-analyze', '/analyze', postJson({}))],
    ['me-anonymous', () => server.request('/me')],
    [
      'chat',
      () =>
        server.as(
          'prom-chat',
          '/v1/chat/completions',
          postJson({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to Berlin.' }] }),
        ),
    ],
    ['agent', () => server.as('prom-agent', '/agent/runs', postJson({ input: 'What is 17.5% of 2480?' }))],
  ];
  // Four GET /me at once by one user: three pass the read burst, the rest are 429.
  const meBurst = () => Promise.all(Array.from({ length: 4 }, () => server.as('prom-me', '/me')));

  const apiRequests = async () =>
    values(await prometheus.query(`sum(http_server_request_duration_count{${API}})`))[0] ?? 0;

  it('sees the load in p50/p95 latency, error rate, cost per request and tokens by model', async () => {
    await until('the first scrape', async () =>
      values(await prometheus.query('up{job="cairn"}'))[0] === 1 ? true : undefined,
    );

    // Warm-up: one of each, and a document whose ingestion job runs.
    let warmUp = 0;
    for (const [, send] of kinds) {
      await (await send()).text();
      warmUp += 1;
    }
    for (const res of await meBurst()) {
      await res.text();
      warmUp += 1;
    }
    const upload = await server.as(
      'prom-docs',
      '/documents',
      postJson({ title: 'Vacuum', content: 'VACUUM reclaims storage held by dead tuples.' }),
    );
    expect(upload.status).toBe(202);
    warmUp += 1;
    await until('Prometheus to see the warm-up', async () =>
      (await apiRequests()) >= warmUp ? true : undefined,
    );

    // The measured load: four rounds, a second apart, so several scrapes fall inside it.
    for (let round = 0; round < 4; round++) {
      const started = Date.now();
      const responses = await Promise.all([
        ...Array.from({ length: 4 }, () => kinds[0]![1]()),
        kinds[1]![1](),
        kinds[2]![1](),
        ...Array.from({ length: 2 }, () => kinds[3]![1]()),
        kinds[4]![1](),
      ]);
      responses.push(...(await meBurst()));
      for (const res of responses) {
        statuses.push(res.status);
        await res.text();
      }
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
    const total = warmUp + statuses.length;
    await until('Prometheus to see the whole load', async () =>
      (await apiRequests()) >= total ? true : undefined,
    );
    await sleep(2200); // two more scrapes after the last increment

    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 400).length).toBe(4);
    expect(statuses.filter((s) => s === 401).length).toBe(4);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await apiRequests()).toBe(total);

    const quantile = (q: number) =>
      `histogram_quantile(${q}, sum by (le, http_route) (rate(http_server_request_duration_bucket{${API}}[${WINDOW}])))`;
    const byRoute = (samples: Sample[]) =>
      Object.fromEntries(samples.map((s) => [s.metric.http_route, Number(s.value[1])]));
    const p50 = byRoute(await prometheus.query(quantile(0.5)));
    const p95 = byRoute(await prometheus.query(quantile(0.95)));
    for (const route of ['/analyze', '/v1/chat/completions', '/agent/runs', '/me']) {
      expect(p50[route], `p50 of ${route}`).toBeGreaterThan(0);
      expect(p95[route], `p95 of ${route}`).toBeGreaterThanOrEqual(p50[route]!);
      expect(p95[route], `p95 of ${route}`).toBeLessThan(10);
    }

    const errorRateExpr = `sum(rate(http_server_request_duration_count{${API},http_response_status_code=~"4..|5.."}[${WINDOW}])) / sum(rate(http_server_request_duration_count{${API}}[${WINDOW}]))`;
    const errorRate = only(await prometheus.query(errorRateExpr), errorRateExpr);
    const expectedErrorRate = statuses.filter((s) => s >= 400).length / statuses.length;
    expect(errorRate).toBeGreaterThan(0);
    expect(errorRate).toBeLessThan(1);
    expect(Math.abs(errorRate - expectedErrorRate)).toBeLessThan(0.1);

    const costExpr = `sum(rate(cairn_request_cost_sum[${WINDOW}])) / sum(rate(cairn_request_cost_count[${WINDOW}]))`;
    const costPerRequest = only(await prometheus.query(costExpr), costExpr);
    expect(costPerRequest).toBeGreaterThan(0);
    expect(costPerRequest).toBeLessThan(0.01); // a few thousand tokens at most, at $0.15-0.60 per million

    const tokensExpr = `sum by (gen_ai_request_model, gen_ai_token_type) (increase(cairn_model_tokens_total[${WINDOW}]))`;
    const tokens = await prometheus.query(tokensExpr);
    const tokensOf = (type: string) =>
      tokens.find((s) => s.metric.gen_ai_request_model === 'local' && s.metric.gen_ai_token_type === type);
    expect(Number(tokensOf('input')?.value[1])).toBeGreaterThan(0);
    expect(Number(tokensOf('output')?.value[1])).toBeGreaterThan(0);

    console.info(
      `prometheus e2e: ${statuses.length} requests measured; p50/p95 (ms) ${Object.keys(p50)
        .filter((r) => Number.isFinite(p50[r]))
        .sort()
        .map((r) => `${r} ${(p50[r]! * 1000).toFixed(1)}/${((p95[r] ?? 0) * 1000).toFixed(1)}`)
        .join(
          ', ',
        )}; error rate ${errorRate.toFixed(3)} (sent ${expectedErrorRate.toFixed(3)}); cost per request $${costPerRequest.toExponential(3)}`,
    );
  });

  it("answers every query of the Grafana dashboard, with data for the load's panels", async () => {
    const dashboard = JSON.parse(
      await readFile(path.join(ROOT, 'deploy/grafana/cairn.json'), 'utf8'),
    ) as Dashboard;
    // Panels the load above leaves without data: no breaker changed state.
    const idle = new Set(['Circuit breaker transitions']);
    const queries = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ title: panel.title, expr: target.expr })),
    );
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const empty: string[] = [];
    for (const { title, expr } of queries) {
      const samples = await prometheus.query(expr.replaceAll('$__rate_interval', WINDOW));
      if (samples.length === 0 && !idle.has(title)) empty.push(`${title}: ${expr}`);
    }
    expect(empty).toEqual([]);
  });
});
