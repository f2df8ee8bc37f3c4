// The /analyze eval: every case in cases.jsonl runs through the real analyze service (prompt,
// structured output, validation, repair) on the chosen provider and is scored against its
// expectations. Usage: npm run eval -- analyze [--provider local|openai] [--out FILE]
// The openai provider reads LLM_BASE_URL, OPENAI_API_KEY and LLM_MODEL from the environment.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load-config.ts';
import { analyzeText } from '../../src/gateway/analyze/analyze-text.ts';
import { createLlm } from '../../src/llm/create-llm.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { noTelemetry } from '../../src/observability/telemetry.ts';
import type { UsageEvent } from '../../src/usage/usage-sink.ts';
import { writeResult } from '../write-result.ts';
import { type Case, check } from './checks.ts';

const { values } = parseArgs({
  options: { provider: { type: 'string', default: 'local' }, out: { type: 'string' } },
});
if (values.provider !== 'local' && values.provider !== 'openai') {
  console.error('--provider must be local or openai');
  process.exit(2);
}

const config = loadConfig({ ...process.env, LLM_PROVIDER: values.provider, LOG_LEVEL: 'warn' });
const logger = createLogger({ level: config.LOG_LEVEL, write: (line) => process.stderr.write(`${line}\n`) });
// Usage events are summed into the report instead of stored.
const events: UsageEvent[] = [];
const bindLlm = createLlm({ config, logger, now: () => new Date() });
const llm = bindLlm({ record: (e) => events.push(e), flush: async () => {} });

const cases = (await readFile(path.join(import.meta.dirname, 'cases.jsonl'), 'utf8'))
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as Case);

interface Scored {
  id: string;
  tags: string[];
  score: number;
  passed: boolean;
  checks: Record<string, boolean>;
  attempts: number;
  latency_ms: number;
  error?: string;
}

const scored: Scored[] = [];
for (const c of cases) {
  const started = performance.now();
  let result: Record<string, unknown> | undefined;
  let error: string | undefined;
  let attempts = 0;
  try {
    const out = await analyzeText(
      { llm, config, logger, telemetry: noTelemetry() },
      {
        text: c.repeat ? c.text.repeat(c.repeat) : c.text,
        schema: c.schema,
        meta: { requestId: `eval-${c.id}`, userId: 'eval', route: '/analyze' },
      },
    );
    result = out.result;
    attempts = out.attempts;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const checks = check(c.expect, result);
  const outcomes = Object.values(checks);
  scored.push({
    id: c.id,
    tags: c.tags,
    score: outcomes.filter(Boolean).length / outcomes.length,
    passed: outcomes.every(Boolean),
    checks,
    attempts,
    latency_ms: Math.round((performance.now() - started) * 100) / 100,
    ...(error ? { error } : {}),
  });
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const checkNames = [...new Set(scored.flatMap((s) => Object.keys(s.checks)))];
const result = {
  suite: 'analyze',
  created_at: new Date().toISOString(),
  provider: values.provider,
  model: llm.chatModel,
  // Higher is better for every metric (what eval:compare compares).
  metrics: {
    score: mean(scored.map((s) => s.score)),
    pass_rate: mean(scored.map((s) => (s.passed ? 1 : 0))),
    checks: Object.fromEntries(
      checkNames.map((name) => [
        name,
        mean(scored.filter((s) => name in s.checks).map((s) => (s.checks[name] ? 1 : 0))),
      ]),
    ),
  },
  usage: {
    model_calls: events.length,
    tokens_in: events.reduce((a, e) => a + e.tokensIn, 0),
    tokens_out: events.reduce((a, e) => a + e.tokensOut, 0),
    cost_usd: events.reduce((a, e) => a + e.costUsd, 0),
    mean_attempts: mean(scored.map((s) => s.attempts)),
    mean_latency_ms: mean(scored.map((s) => s.latency_ms)),
  },
  cases: scored,
};

const out = await writeResult('analyze', values.provider, result, values.out);
console.table(
  scored.map((s) => ({
    case: s.id,
    score: Number(s.score.toFixed(2)),
    failed: Object.entries(s.checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name)
      .join(' '),
    attempts: s.attempts,
    error: s.error?.slice(0, 50) ?? '',
  })),
);
console.log(
  JSON.stringify({
    suite: 'analyze',
    provider: result.provider,
    model: result.model,
    metrics: result.metrics,
    usage: result.usage,
  }),
);
console.log(`written to ${out}`);
