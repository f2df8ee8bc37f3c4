// `npm run bench -- agents [--runs 200] [--tool-calls 3] [--delay 20] [--databases pglite,postgres] [--profile]`
// The overhead cairn adds per agent step: POST /agent/runs through the real app (auth, guards, the
// loop, argument validation, tool execution, the trace and audit writes, usage accounting) against a
// fake model with a fixed delay that asks for `tool-calls` calculator calls, one per step, then
// answers. Per run: (wall time − time spent waiting on the model) / steps, as p50/p95/p99 over the
// runs; the same for runs that answer at once (zero tool calls) separates what a run costs once
// from what each tool step adds. The model wait is timed around each model call, and compared with
// calling the fake directly (what the model client itself adds per call).
// Embedded PGlite (in its worker thread, on disk, as the server runs it) always; PostgreSQL (a fresh
// database beside TEST_DATABASE_URL or DATABASE_URL) when one is set. --profile samples the CPU during
// an extra pass and reports where the time goes (the .cpuprofile lands in bench/results/).
// The fake model runs in its own process (this script with --fake-model), never on cairn's event loop.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../src/config/load-config.ts';
import { type DatabaseHandle, openPgliteThread, openPostgres } from '../src/node/open-database.ts';
import { type AgentApp, openAgentApp } from './agents/app.ts';
import { serveFakeModel, startFakeModel, taskWithCalls } from './agents/fake-model.ts';
import { type ProfileSummary, profileCpu } from './agents/profile.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '30' },
    'tool-calls': { type: 'string', default: '3' },
    delay: { type: 'string', default: '20' },
    databases: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'fake-model': { type: 'boolean', default: false },
  },
});
const TARGET_P95_MS = 2;

async function main() {
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const toolCalls = Number(values['tool-calls']);
  const delayMs = Number(values.delay);
  const postgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const kinds = (values.databases ?? `pglite${postgresUrl ? ',postgres' : ''}`).split(',');
  const temp = await mkdtemp(path.join(tmpdir(), 'cairn-bench-agents-'));
  const fake = await startFakeModel(delayMs);
  try {
    const direct = await directModelLatency(fake.url, 100);
    const results: (ReturnType<typeof summarise> & {
      process_cpu_ms_per_step: number;
      database_floor_ms: Awaited<ReturnType<typeof databaseFloor>>;
    })[] = [];
    const profiles: Record<string, ProfileSummary & { per_step: ReturnType<typeof perStepBreakdown> }> = {};
    for (const kind of kinds) {
      const database = await openDatabase(kind, temp, postgresUrl);
      try {
        const agents = openAgentApp({
          database,
          env: {
            LLM_PROVIDER: 'openai',
            LLM_BASE_URL: fake.url,
            OPENAI_API_KEY: 'bench',
            LLM_MODEL: 'gpt-4o-mini',
            ...(database.url ? { DATABASE_URL: database.url } : {}),
          },
          // The server's default level, written nowhere: formatting counts, the terminal does not.
          logLevel: 'info',
          logWrite: () => {},
          nodeGuards: true,
        });
        const floor = await databaseFloor(agents);
        const timed = timeModelCalls(agents);
        await series(agents, timed, 0, warmup);
        await series(agents, timed, toolCalls, warmup);
        const answerOnly = await series(agents, timed, 0, runs);
        const cpuBefore = process.cpuUsage();
        const withTools = await series(agents, timed, toolCalls, runs);
        const cpu = process.cpuUsage(cpuBefore);
        const steps = withTools.reduce((n, s) => n + s.steps, 0);
        results.push({
          ...summarise(kind, withTools, answerOnly, toolCalls, direct.p50),
          // CPU time this process spent (every thread: the loop, the model client, PGlite's thread),
          // per step: unlike wall time, other work on the machine barely changes it.
          process_cpu_ms_per_step: round((cpu.user + cpu.system) / 1000 / steps),
          database_floor_ms: floor,
        });
        if (values.profile) {
          let profiled: RunSample[] = [];
          const profile = await profileCpu(`agents-${kind}`, async () => {
            profiled = await series(agents, timed, toolCalls, runs);
          });
          profiles[kind] = { ...profile, per_step: perStepBreakdown(profile, profiled) };
        }
        await agents.close();
      } finally {
        await database.close();
      }
    }

    const summary = {
      benchmark: 'agents',
      // Other work on the machine inflates the wall times: its CPUs, and the 1-minute load average at the end.
      machine: { cpus: availableParallelism(), load_average_1m: Math.round(loadavg()[0]! * 100) / 100 },
      upstream_delay_ms: delayMs,
      upstream_direct_ms: direct,
      tool_calls_per_run: toolCalls,
      steps_per_run: toolCalls + 1,
      runs,
      target: `p95 overhead per step < ${TARGET_P95_MS} ms`,
      results,
      ...(values.profile ? { profiles } : {}),
    };
    console.log(JSON.stringify(summary, null, 2));
    console.table(
      results.map((r) => ({
        database: r.database,
        runs: r.runs,
        failures: r.failures,
        'wall p50 ms': r.wall_ms.p50,
        'step overhead p50': r.overhead_ms_per_step.p50,
        'step overhead p95': r.overhead_ms_per_step.p95,
        'step overhead p99': r.overhead_ms_per_step.p99,
        'per run (0 tools) p50': r.answer_only_overhead_ms.p50,
        'per tool step p50': r.marginal_ms_per_tool_step,
        'model client per call p50': r.model_client_ms_per_call.p50,
        'process CPU per step': r.process_cpu_ms_per_step,
        target: r.target_met ? 'met' : 'MISSED',
      })),
    );
    for (const [kind, profile] of Object.entries(profiles)) {
      console.log(`\nCPU profile on ${kind} (${profile.sampled_ms} ms sampled, ${profile.file}):`);
      console.log(`per step, ms: ${JSON.stringify(profile.per_step)}`);
      console.table(profile.by_area);
      console.table(profile.top_functions);
      console.table(profile.by_cairn_function);
    }
    for (const r of results) {
      const p95 = r.overhead_ms_per_step.p95;
      console.log(
        `${r.database}: p95 overhead ${p95} ms per step, target < ${TARGET_P95_MS} ms: ${r.target_met ? 'met' : 'MISSED'}`,
      );
    }
  } finally {
    fake.stop();
    await rm(temp, { recursive: true, force: true });
  }
}

interface RunSample {
  wallMs: number;
  modelMs: number;
  steps: number;
  ok: boolean;
}

/** Wraps the model client's chat so each run knows how long it waited on the model (ms, summed). */
function timeModelCalls(agents: AgentApp): { waited: number } {
  const state = { waited: 0 };
  const llm = agents.deps.llm;
  const chat = llm.chat.bind(llm);
  llm.chat = async (request) => {
    const started = performance.now();
    try {
      return await chat(request);
    } finally {
      state.waited += performance.now() - started;
    }
  };
  return state;
}

/** `count` runs one after another, each asking the fake for `toolCalls` calculator calls. */
async function series(
  agents: AgentApp,
  timed: { waited: number },
  toolCalls: number,
  count: number,
): Promise<RunSample[]> {
  const samples: RunSample[] = [];
  const body = { input: taskWithCalls(toolCalls) };
  for (let i = 0; i < count; i++) {
    // Runs spread over 50 users, as traffic from several callers would be.
    const sub = `bench-${toolCalls}-${i % 50}`;
    timed.waited = 0;
    const started = performance.now();
    const response = await agents.send(sub, 'POST', '/agent/runs', body);
    const text = await response.text();
    const wallMs = performance.now() - started;
    const run = response.status === 200 ? (JSON.parse(text) as RunShape) : undefined;
    const ok =
      run?.stop_reason === 'completed' &&
      run.steps.length === toolCalls + 1 &&
      run.steps.every((s) => s.tool_calls.every((c) => c.status === 'ok'));
    if (!ok && samples.every((s) => s.ok))
      console.error(`run failed: ${response.status} ${text.slice(0, 300)}`);
    samples.push({ wallMs, modelMs: timed.waited, steps: run?.steps.length ?? toolCalls + 1, ok });
  }
  return samples;
}

interface RunShape {
  stop_reason: string | null;
  steps: { tool_calls: { status: string }[] }[];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (ms: number) => Math.round(ms * 1000) / 1000;
const spread = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  p99: round(percentile(values, 99)),
  mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
});

function summarise(
  database: string,
  withTools: RunSample[],
  answerOnly: RunSample[],
  toolCalls: number,
  directP50: number,
) {
  const ok = withTools.filter((s) => s.ok);
  const perStep = ok.map((s) => (s.wallMs - s.modelMs) / s.steps);
  const runOverhead = answerOnly.filter((s) => s.ok).map((s) => s.wallMs - s.modelMs);
  const overhead = spread(perStep);
  const toolRunOverhead = percentile(
    ok.map((s) => s.wallMs - s.modelMs),
    50,
  );
  return {
    database,
    runs: withTools.length,
    failures: withTools.length - ok.length + answerOnly.filter((s) => !s.ok).length,
    wall_ms: spread(ok.map((s) => s.wallMs)),
    model_wait_ms_per_step: spread(ok.map((s) => s.modelMs / s.steps)),
    overhead_ms_per_step: overhead,
    // A run that answers at once: one model call, and what every run costs once (HTTP, auth, guards, run rows).
    answer_only_overhead_ms: spread(runOverhead),
    // What one more tool step adds, from the p50s of both series.
    marginal_ms_per_tool_step:
      toolCalls > 0 ? round((toolRunOverhead - percentile(runOverhead, 50)) / toolCalls) : null,
    // The model client's own time per call (SDK, retries, breaker, accounting) over a direct call to the fake.
    model_client_ms_per_call: spread(ok.map((s) => s.modelMs / s.steps - directP50)),
    target_met: overhead.p95 < TARGET_P95_MS,
  };
}

/**
 * Where a step's time goes, from the profiled pass: this thread's CPU, and the time it waited on
 * something other than the model (the database: its thread or its server), per step.
 */
function perStepBreakdown(profile: ProfileSummary, samples: RunSample[]) {
  const steps = samples.reduce((n, s) => n + s.steps, 0);
  const modelMs = samples.reduce((n, s) => n + s.modelMs, 0);
  const wallMs = samples.reduce((n, s) => n + s.wallMs, 0);
  return {
    overhead: round((wallMs - modelMs) / steps),
    main_thread_cpu: round(profile.busy_ms / steps),
    waiting_not_on_model: round((profile.idle_ms - modelMs) / steps),
  };
}

/**
 * The database's floor on this machine: one statement, and a transaction of two small inserts (what
 * each tool step's trace and audit writes cost at least; a tool step makes two such transactions).
 */
async function databaseFloor(agents: AgentApp) {
  const { db } = agents.deps;
  await db.execute(sql`create table if not exists bench_floor (id bigserial primary key, v jsonb not null)`);
  const select: number[] = [];
  const transaction: number[] = [];
  const row = JSON.stringify({ tool: 'calculator', status: 'ok', result: 'x'.repeat(200) });
  for (let i = 0; i < 220; i++) {
    let started = performance.now();
    await db.execute(sql`select 1`);
    if (i >= 20) select.push(performance.now() - started);
    started = performance.now();
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into bench_floor (v) values (${row}::jsonb)`);
      await tx.execute(sql`insert into bench_floor (v) values (${row}::jsonb)`);
    });
    if (i >= 20) transaction.push(performance.now() - started);
  }
  await db.execute(sql`drop table bench_floor`);
  return { select_1: spread(select), transaction_two_inserts: spread(transaction) };
}

/** The fake model called directly with fetch: the floor every model call pays (its delay and loopback). */
async function directModelLatency(url: string, count: number) {
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: taskWithCalls(0) }],
  });
  const samples: number[] = [];
  for (let i = 0; i < count + 10; i++) {
    const started = performance.now();
    const response = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await response.text();
    if (i >= 10) samples.push(performance.now() - started);
  }
  return spread(samples);
}

/** A fresh database: PGlite on disk in its worker thread, or a new PostgreSQL database dropped on close. */
async function openDatabase(
  kind: string,
  temp: string,
  baseUrl: string | undefined,
): Promise<DatabaseHandle & { url?: string }> {
  if (kind === 'pglite') {
    const handle = await openPgliteThread(path.join(temp, 'pglite'));
    await handle.migrate();
    return handle;
  }
  if (kind !== 'postgres' || !baseUrl) throw new Error(`unknown database ${kind} (or no PostgreSQL URL)`);
  const name = `cairn_bench_agents_${Date.now().toString(36)}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const handle = openPostgres(loadConfig({ DB_POOL_MAX: '10' }), url.toString());
  await handle.migrate();
  return {
    ...handle,
    url: url.toString(),
    async close() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

// Last, so every declaration above is initialised before it runs.
if (values['fake-model']) await serveFakeModel({ delayMs: Number(values.delay) });
else await main();
