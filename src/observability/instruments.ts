import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import type { OnBreakerStateChange } from '../llm/resilience/breaker-events.ts';

/**
 * The metric instruments cairn records, through the OpenTelemetry metrics API. Names follow the
 * OpenTelemetry semantic conventions where one exists (HTTP server, GenAI client) and live under
 * `cairn.` otherwise. The export side (src/observability/metrics-export) only needs these names.
 * The Prometheus form is what @opentelemetry/exporter-prometheus writes: dots become underscores in
 * names and labels, monotonic counters get `_total`, histograms `_bucket`/`_sum`/`_count`; the unit
 * goes in a `# UNIT` line, not in the name.
 *
 * | instrument | kind | unit | attributes | Prometheus |
 * | --- | --- | --- | --- | --- |
 * | `http.server.request.duration` | histogram | s | `http.route`, `http.request.method`, `http.response.status_code`, `cairn.problem_type` (4xx/5xx only) | `http_server_request_duration` |
 * | `gen_ai.client.operation.duration` | histogram | s | `gen_ai.operation.name`, `gen_ai.request.model`, `gen_ai.provider.name`, `cairn.outcome` | `gen_ai_client_operation_duration` |
 * | `cairn.model.tokens` | counter | | `gen_ai.request.model`, `gen_ai.token.type` (input, output) | `cairn_model_tokens_total` |
 * | `cairn.model.cost` | counter | USD | `gen_ai.request.model` | `cairn_model_cost_total` |
 * | `cairn.request.cost` | histogram | USD | `http.route` (API requests that made model calls) | `cairn_request_cost` |
 * | `cairn.guard.rejections` | counter | | `cairn.guard`, `cairn.reason` | `cairn_guard_rejections_total` |
 * | `cairn.jobs.finished` | counter | | `cairn.job.kind`, `cairn.job.outcome` (done, retry, dead) | `cairn_jobs_finished_total` |
 * | `cairn.queue.depth` | observable gauge | | `cairn.job.kind`, `cairn.job.status` | `cairn_queue_depth` |
 * | `cairn.agent.runs` | counter | | `cairn.stop_reason` | `cairn_agent_runs_total` |
 * | `cairn.agent.tool_calls` | counter | | `cairn.tool`, `cairn.tool.status` | `cairn_agent_tool_calls_total` |
 * | `cairn.breaker.transitions` | counter | | `cairn.breaker`, `cairn.breaker.state` | `cairn_breaker_transitions_total` |
 * | `cairn.injection.flags` | counter | | `cairn.injection.source` (input, document, tool_result), `http.route`, `cairn.injection.action` (flagged, blocked) | `cairn_injection_flags_total` |
 */
export const instrumentNames = {
  httpServerDuration: 'http.server.request.duration',
  modelDuration: 'gen_ai.client.operation.duration',
  modelTokens: 'cairn.model.tokens',
  modelCost: 'cairn.model.cost',
  requestCost: 'cairn.request.cost',
  guardRejections: 'cairn.guard.rejections',
  jobsFinished: 'cairn.jobs.finished',
  queueDepth: 'cairn.queue.depth',
  agentRuns: 'cairn.agent.runs',
  agentToolCalls: 'cairn.agent.tool_calls',
  breakerTransitions: 'cairn.breaker.transitions',
  injectionFlags: 'cairn.injection.flags',
} as const;

export interface Instruments {
  httpServerDuration: Histogram;
  modelDuration: Histogram;
  modelTokens: Counter;
  modelCost: Counter;
  requestCost: Histogram;
  guardRejections: Counter;
  jobsFinished: Counter;
  agentRuns: Counter;
  agentToolCalls: Counter;
  breakerTransitions: Counter;
  injectionFlags: Counter;
}

// Bucket advice (an exporter may override it with views): the semantic conventions' buckets for
// HTTP durations, longer ones for model calls (seconds to minutes), and cents-scale ones for cost.
const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const MODEL_SECONDS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const USD = [0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** Creates every synchronous instrument on `meter` (a no-op meter records nothing). */
export function createInstruments(meter: Meter): Instruments {
  return {
    httpServerDuration: meter.createHistogram(instrumentNames.httpServerDuration, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      advice: { explicitBucketBoundaries: HTTP_SECONDS },
    }),
    modelDuration: meter.createHistogram(instrumentNames.modelDuration, {
      description: 'Duration of model calls (chat, embeddings), retries included.',
      unit: 's',
      advice: { explicitBucketBoundaries: MODEL_SECONDS },
    }),
    modelTokens: meter.createCounter(instrumentNames.modelTokens, {
      description: 'Tokens used by model calls, by type (input, output).',
    }),
    modelCost: meter.createCounter(instrumentNames.modelCost, {
      description: 'Estimated cost of model calls.',
      unit: 'USD',
    }),
    requestCost: meter.createHistogram(instrumentNames.requestCost, {
      description: 'Estimated model cost of one API request that made model calls.',
      unit: 'USD',
      advice: { explicitBucketBoundaries: USD },
    }),
    guardRejections: meter.createCounter(instrumentNames.guardRejections, {
      description: 'Requests refused by a guard (rate limit, idempotency, body limit).',
    }),
    jobsFinished: meter.createCounter(instrumentNames.jobsFinished, {
      description: 'Job attempts finished, by outcome (done, retry, dead).',
    }),
    agentRuns: meter.createCounter(instrumentNames.agentRuns, {
      description: 'Agent runs finished, by stop reason.',
    }),
    agentToolCalls: meter.createCounter(instrumentNames.agentToolCalls, {
      description: 'Agent tool calls, by tool and status.',
    }),
    breakerTransitions: meter.createCounter(instrumentNames.breakerTransitions, {
      description: 'Circuit breaker state changes (open, half_open, closed).',
    }),
    injectionFlags: meter.createCounter(instrumentNames.injectionFlags, {
      description: 'Texts the prompt-injection detector flagged, by source, route and action.',
    }),
  };
}

/**
 * Counts breaker transitions (`cairn.breaker.transitions`) by family (`llm`, `http_request`) and
 * new state; which breaker (provider and model, or host) is in its log line, kept out of the labels.
 */
export const countBreakerTransitions =
  (instruments: Instruments): OnBreakerStateChange =>
  (change) =>
    instruments.breakerTransitions.add(1, {
      'cairn.breaker': change.breaker,
      'cairn.breaker.state': change.state,
    });

/** One row of the queue-depth query: how many jobs of a kind are in a status. */
export interface QueueDepthRow {
  kind: string;
  status: string;
  count: number;
}

/** The jobs table by kind and status, in one grouped count (`cairn.queue.depth`). */
export async function countJobs(db: Database): Promise<QueueDepthRow[]> {
  const rows = rowsOf<{ kind: string; status: string; count: string | number }>(
    await db.execute(sql`select kind, status, count(*) as count from jobs group by kind, status`),
  );
  return rows.map((row) => ({ kind: row.kind, status: row.status, count: Number(row.count) }));
}

/**
 * Registers `cairn.queue.depth`, an observable gauge whose callback runs `countJobs` (one grouped
 * count over the jobs table) once per collection. A failed count reports nothing for that
 * collection rather than failing the export.
 */
export function observeQueueDepth(meter: Meter, countJobs: () => Promise<QueueDepthRow[]>): void {
  const gauge = meter.createObservableGauge(instrumentNames.queueDepth, {
    description: 'Jobs in the jobs table, by kind and status.',
  });
  gauge.addCallback(async (result: ObservableResult<Attributes>) => {
    const rows = await countJobs().catch(() => []);
    for (const row of rows)
      result.observe(row.count, { 'cairn.job.kind': row.kind, 'cairn.job.status': row.status });
  });
}

/**
 * `cairn.queue.depth` as a gauge set from a count taken by the caller: on Workers no process lives to
 * be collected from, so the cron handler counts once a minute and the figures go out over OTLP.
 */
export function queueDepthGauge(meter: Meter): (rows: QueueDepthRow[]) => void {
  const gauge = meter.createGauge(instrumentNames.queueDepth, {
    description: 'Jobs in the jobs table, by kind and status.',
  });
  return (rows) => {
    for (const row of rows)
      gauge.record(row.count, { 'cairn.job.kind': row.kind, 'cairn.job.status': row.status });
  };
}
