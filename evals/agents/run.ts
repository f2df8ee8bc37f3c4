// The agents eval: every case in cases.jsonl runs through POST /agent/runs of the real app (the
// agent loop, tool validation and execution, the trace) on embedded PGlite, with its documents
// ingested, its usage seeded and a fake rates API on loopback, and is scored on the tools it
// called, its arguments, its answer and its steps.
// Usage: npm run eval -- agents [--provider local|openai] [--out FILE]
// The openai provider reads LLM_BASE_URL, OPENAI_API_KEY and LLM_MODEL from the environment.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type AgentApp, type AgentRunBody, openAgentApp } from '../../bench/agents/app.ts';
import { fetchTransport } from '../../src/agents/tools/http/fetch-transport.ts';
import type { OutboundHttp } from '../../src/agents/tools/http/outbound-http.ts';
import { jobHandlers } from '../../src/job-handlers.ts';
import { openPglite } from '../../src/node/open-database.ts';
import { drainJobs } from '../../src/queue/drain-jobs.ts';
import { writeResult } from '../write-result.ts';
import {
  type Case,
  type CaseChecks,
  casePassed,
  caseScore,
  check,
  type Fact,
  forbiddenCalls,
  missingFacts,
  type RunView,
} from './checks.ts';

const { values } = parseArgs({
  options: { provider: { type: 'string', default: 'local' }, out: { type: 'string' } },
});
if (values.provider !== 'local' && values.provider !== 'openai') {
  console.error('--provider must be local or openai');
  process.exit(2);
}

const fixtures = path.join(import.meta.dirname, 'fixtures');
const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;
const cases = (await readFile(path.join(import.meta.dirname, 'cases.jsonl'), 'utf8'))
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as Case);
const rates = await readJson<Record<string, unknown>>(path.join(fixtures, 'rates.json'));
const profiles = await readJson<Record<string, Record<string, unknown>>>(
  path.join(fixtures, 'profiles.json'),
);

// The clock starts at a fixed instant and runs on: usage windows and "newest" are the same every run.
const EPOCH = Date.parse('2026-06-15T12:00:00.000Z');
const DAY_MS = 86_400_000;
const started = performance.now();
const now = () => new Date(EPOCH + (performance.now() - started));

// The fake rates API (http://rates.test for the model): /rates?base=USD answers from
// fixtures/rates.json, /failing/... answers 503.
const ratesApi: Server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname.startsWith('/failing/')) return send(503, { error: 'service unavailable' });
  if (url.pathname !== '/rates') return send(404, { error: 'not found' });
  const base = (url.searchParams.get('base') ?? 'USD').toUpperCase();
  return rates[base] ? send(200, rates[base]) : send(404, { error: `unknown base currency ${base}` });
});
const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
const ratesPort = await listen(ratesApi);
// An address where nothing listens, for the "API is down" cases: a privileged port nothing here
// binds, so no other process can take it between runs (a freed random port could be reused).
const downPort = 1;
// Tasks name stable hosts (.test never resolves, RFC 2606), so no port number reaches the model;
// the transport sends them to the loopback addresses, as a DNS entry would.
const hosts = new Map([
  ['rates.test', `127.0.0.1:${ratesPort}`],
  ['down.test', `127.0.0.1:${downPort}`],
]);
const apiBase = { up: 'http://rates.test', error: 'http://rates.test/failing', down: 'http://down.test' };
const outboundHttp: OutboundHttp = (request) => {
  const target = hosts.get(request.url.host);
  if (!target) return fetchTransport(request);
  const url = new URL(request.url);
  url.host = target;
  return fetchTransport({ ...request, url, allowPrivateAddress: true });
};

const database = await openPglite(undefined);
await database.migrate();
const agents: AgentApp = openAgentApp({
  database,
  env: {
    ...process.env,
    LLM_PROVIDER: values.provider,
    AGENT_HTTP_ALLOWED_HOSTS: [...hosts.keys()].join(','),
  },
  now,
  outboundHttp,
});
const { deps } = agents;

for (const [name, profile] of Object.entries(profiles)) {
  const res = await agents.send('eval-admin', 'PUT', `/admin/agents/${name}`, profile, 'admin');
  if (res.status >= 300) throw new Error(`profile ${name}: ${res.status} ${await res.text()}`);
}

/** The case's documents for its user, ingested to the end (the title is the first heading). */
async function ingest(sub: string, files: string[]) {
  for (const file of files) {
    const content = await readFile(path.join(fixtures, 'documents', file), 'utf8');
    const title = /^#\s+(.+)$/m.exec(content)?.[1] ?? file;
    const res = await agents.send(sub, 'POST', '/documents', {
      title,
      content,
      mime_type: 'text/markdown',
      metadata: { file },
    });
    if (res.status !== 202) throw new Error(`upload ${file}: ${res.status} ${await res.text()}`);
    // One document at a time, one job at a time: chunk ids come out the same on every run.
    await drainJobs(deps, jobHandlers, { horizonMs: DAY_MS, concurrency: 1 });
  }
}

async function seedUsage(sub: string, seeds: NonNullable<Case['setup']>['usage'] = []) {
  for (const seed of seeds) {
    for (let i = 0; i < (seed.calls ?? 1); i++) {
      deps.usage.record({
        at: new Date(EPOCH - seed.days_ago * DAY_MS - 3_600_000),
        serverRequestId: crypto.randomUUID(),
        userId: sub,
        route: '/v1/chat/completions',
        provider: 'openai',
        model: seed.model,
        operation: 'chat',
        tokensIn: seed.tokens_in ?? 1000,
        tokensOut: seed.tokens_out ?? 200,
        cachedTokensIn: 0,
        reasoningTokens: 0,
        tokensEstimated: false,
        costUsd: seed.cost_usd,
        priced: true,
        latencyMs: 500,
        attempts: 1,
        status: 'ok',
      });
    }
  }
  await deps.usage.flush();
}

const emptyRun: RunView = {
  stopReason: null,
  answer: '',
  tools: [],
  subTools: [],
  decisions: [],
  arguments: [],
  steps: 0,
};
const toolsOf = (run: AgentRunBody) => run.steps.flatMap((s) => s.tool_calls.map((c) => c.tool));
const decisionsOf = (run: AgentRunBody) => run.steps.flatMap((s) => s.tool_calls.map((c) => c.decision));

async function runCase(c: Case): Promise<{ view: RunView; usage: AgentRunBody['usage'] | undefined }> {
  const sub = `eval-${c.id}`;
  await ingest(sub, c.setup?.documents ?? []);
  await seedUsage(sub, c.setup?.usage);
  const input = c.task.replaceAll('{rates_api}', apiBase[c.setup?.rates_api ?? 'up']);
  const run = await agents.run(sub, {
    input,
    ...(c.agent ? { agent: c.agent } : {}),
    ...(c.limits ? { limits: c.limits } : {}),
  });
  const detail = await agents.detail(sub, run.run_id);
  return {
    view: {
      stopReason: run.stop_reason,
      answer: run.answer ?? '',
      tools: toolsOf(run),
      subTools: detail.sub_runs.flatMap(toolsOf),
      decisions: [...decisionsOf(run), ...detail.sub_runs.flatMap(decisionsOf)],
      arguments: detail.trace.filter((e) => e.kind === 'tool').map((e) => JSON.stringify(e.detail.arguments)),
      steps: run.steps.length,
    },
    usage: run.usage,
  };
}

interface Scored {
  id: string;
  tags: string[];
  score: number;
  passed: boolean;
  checks: CaseChecks;
  tools: string[];
  sub_tools: string[];
  steps: number;
  stop_reason: string | null;
  missing_facts: Fact[];
  forbidden_calls: string[];
  answer: string;
  model_calls: number;
  latency_ms: number;
  error?: string;
}

const scored: Scored[] = [];
let calls = 0;
let validCalls = 0;
const usageTotals = { model_calls: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0 };
for (const c of cases) {
  const caseStarted = performance.now();
  let view = emptyRun;
  let modelCalls = 0;
  let error: string | undefined;
  try {
    const out = await runCase(c);
    view = out.view;
    if (out.usage) {
      modelCalls = out.usage.model_calls;
      usageTotals.model_calls += out.usage.model_calls;
      usageTotals.tokens_in += out.usage.tokens_in;
      usageTotals.tokens_out += out.usage.tokens_out;
      usageTotals.cost_usd += out.usage.cost_usd;
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const checks = check(c, view);
  calls += view.decisions.length;
  validCalls += view.decisions.filter((d) => d !== 'blocked_validation').length;
  scored.push({
    id: c.id,
    tags: c.tags,
    score: caseScore(checks),
    passed: casePassed(checks) && !error,
    checks,
    tools: view.tools,
    sub_tools: view.subTools,
    steps: view.steps,
    stop_reason: view.stopReason,
    missing_facts: missingFacts(view.answer, c.answer_facts),
    forbidden_calls: forbiddenCalls(c, view),
    answer: view.answer.length > 400 ? `${view.answer.slice(0, 400)}…` : view.answer,
    model_calls: modelCalls,
    latency_ms: Math.round((performance.now() - caseStarted) * 100) / 100,
    ...(error ? { error } : {}),
  });
}
await agents.close();
await database.close();
await new Promise<void>((resolve) => ratesApi.close(() => resolve()));

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const share = (pick: (s: Scored) => boolean | undefined) => mean(scored.map((s) => (pick(s) ? 1 : 0)));
const guarded = scored.filter((s) => s.checks.forbidden_avoided !== undefined);
const result = {
  suite: 'agents',
  created_at: new Date().toISOString(),
  provider: values.provider,
  model: deps.llm.chatModel,
  // Higher is better for every metric (what eval:compare compares).
  metrics: {
    tool_choice_accuracy: share((s) => s.checks.tool_choice),
    // Pooled over every call of every case: the share that passed argument validation.
    argument_validity: calls === 0 ? 1 : validCalls / calls,
    answer_correctness: share((s) => s.checks.answer),
    steps_efficiency: mean(scored.map((s) => s.checks.steps_efficiency)),
    stop_reason_accuracy: share((s) => s.checks.stop_reason),
    forbidden_avoided: mean(guarded.map((s) => (s.checks.forbidden_avoided ? 1 : 0))),
    score: mean(scored.map((s) => s.score)),
    pass_rate: share((s) => s.passed),
  },
  by_tag: Object.fromEntries(
    [...new Set(scored.flatMap((s) => s.tags))].sort().map((tag) => {
      const tagged = scored.filter((s) => s.tags.includes(tag));
      return [tag, { cases: tagged.length, passed: tagged.filter((s) => s.passed).length }];
    }),
  ),
  usage: {
    ...usageTotals,
    tool_calls: calls,
    mean_steps: mean(scored.map((s) => s.steps)),
    mean_latency_ms: mean(scored.map((s) => s.latency_ms)),
  },
  cases: scored,
};

const out = await writeResult('agents', values.provider, result, values.out);
const failedChecks = (checks: CaseChecks) =>
  Object.entries(checks)
    .filter(([, v]) => v === false || (typeof v === 'number' && v < 1))
    .map(([name]) => name)
    .join(' ');
console.table(
  scored.map((s) => ({
    case: s.id,
    score: Number(s.score.toFixed(2)),
    passed: s.passed,
    tools: s.tools.join('→') + (s.sub_tools.length ? ` [${s.sub_tools.join('→')}]` : ''),
    stop: s.stop_reason ?? '',
    failed: failedChecks(s.checks),
    missing: s.missing_facts.map((f) => JSON.stringify(f)).join(' '),
    error: s.error?.slice(0, 50) ?? '',
  })),
);
console.log(
  JSON.stringify({
    suite: 'agents',
    provider: result.provider,
    model: result.model,
    metrics: result.metrics,
    usage: result.usage,
  }),
);
console.log(`written to ${out}`);
