import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createRunRoute } from '../../../src/agents/runs/runs.routes.ts';
import { countJobs, instrumentNames, observeQueueDepth } from '../../../src/observability/instruments.ts';
import { uploadDocumentRoute } from '../../../src/rag/documents/documents.routes.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain } from '../../helpers/rag.ts';
import { createTestApp, type TestApp, useTestDatabase } from '../../helpers/test-app.ts';

// Collects only when asked, like the export side's readers.
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Point {
  attributes: Record<string, unknown>;
  value: unknown;
}

/** The data points of one instrument, as the SDK aggregated them. */
async function pointsOf(reader: MetricReader, name: string): Promise<Point[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })));
}

const sumOf = (points: Point[], match: Record<string, unknown>) =>
  points
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce(
      (total, p) => total + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count),
      0,
    );

describe('metric instruments recorded where the work happens', () => {
  const database = useTestDatabase('pglite');
  let t: TestApp;
  let reader: TestReader;
  const setup = () => {
    reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    t = createTestApp(database, { meter: provider.getMeter('cairn') });
  };

  it('HTTP duration with the problem type, model calls, tokens, cost and the request cost', async () => {
    setup();
    expect(
      (await t.as('metrics-analyze', '/analyze', postJson({ text: 'Acme shipped search.' }))).status,
    ).toBe(200);
    expect((await t.as('metrics-analyze', '/no/such/route')).status).toBe(404);

    const http = await pointsOf(reader, instrumentNames.httpServerDuration);
    expect(
      sumOf(http, {
        'http.route': '/analyze',
        'http.request.method': 'POST',
        'http.response.status_code': 200,
      }),
    ).toBe(1);
    expect(http.find((p) => p.attributes['http.route'] === '/analyze')?.attributes).not.toHaveProperty(
      'cairn.problem_type',
    );
    expect(sumOf(http, { 'http.response.status_code': 404, 'cairn.problem_type': 'not-found' })).toBe(1);

    const model = { 'gen_ai.request.model': 'local' };
    expect(
      sumOf(await pointsOf(reader, instrumentNames.modelDuration), {
        ...model,
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'local',
        'cairn.outcome': 'ok',
      }),
    ).toBe(1);
    const tokens = await pointsOf(reader, instrumentNames.modelTokens);
    expect(sumOf(tokens, { ...model, 'gen_ai.token.type': 'input' })).toBeGreaterThan(0);
    expect(sumOf(tokens, { ...model, 'gen_ai.token.type': 'output' })).toBeGreaterThan(0);
    expect((await pointsOf(reader, instrumentNames.modelCost)).map((p) => p.attributes)).toEqual([model]);
    expect(sumOf(await pointsOf(reader, instrumentNames.requestCost), { 'http.route': '/analyze' })).toBe(1);
  });

  it("a streamed answer's cost is recorded once its body has ended", async () => {
    setup();
    const res = await t.as(
      'metrics-stream',
      '/chat',
      postJson({ message: 'What does the write-ahead log record?', stream: true }),
    );
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const routeCost = async () =>
      sumOf(await pointsOf(reader, instrumentNames.requestCost), { 'http.route': '/chat' });
    // The model call runs while the body streams: nothing is recorded before the body is read.
    expect(await routeCost()).toBe(0);
    await res.text();
    expect(await routeCost()).toBe(1);
  });

  it('guard rejections, finished jobs, the queue depth', async () => {
    setup();
    const send = (text: string) =>
      t.as('metrics-guard', '/analyze', postJson({ text }, { 'Idempotency-Key': 'metrics-guard-1' }));
    expect((await send('one')).status).toBe(200);
    expect((await send('two')).status).toBe(422);
    expect(
      sumOf(await pointsOf(reader, instrumentNames.guardRejections), {
        'cairn.guard': 'idempotency',
        'cairn.reason': 'mismatch',
      }),
    ).toBe(1);

    const res = await t.as('metrics-jobs', '/documents', postJson({ title: 'WAL', content: 'Logs first.' }));
    await readBody(res, uploadDocumentRoute, 202);
    observeQueueDepth(t.deps.telemetry.meter, () => countJobs(t.deps.db));
    const queued = await pointsOf(reader, instrumentNames.queueDepth);
    expect(sumOf(queued, { 'cairn.job.kind': 'rag.ingest', 'cairn.job.status': 'queued' })).toBeGreaterThan(
      0,
    );
    await drain(t);
    expect(
      sumOf(await pointsOf(reader, instrumentNames.jobsFinished), {
        'cairn.job.kind': 'rag.ingest',
        'cairn.job.outcome': 'done',
      }),
    ).toBeGreaterThan(0);
    const after = await pointsOf(reader, instrumentNames.queueDepth);
    expect(sumOf(after, { 'cairn.job.kind': 'rag.ingest', 'cairn.job.status': 'done' })).toBeGreaterThan(0);
  });

  it('agent runs by stop reason and tool calls by tool and status', async () => {
    setup();
    const res = await t.as('metrics-agent', '/agent/runs', postJson({ input: 'What is (17+4)*3?' }));
    expect((await readBody(res, createRunRoute, 200)).stop_reason).toBe('completed');
    expect(
      sumOf(await pointsOf(reader, instrumentNames.agentRuns), { 'cairn.stop_reason': 'completed' }),
    ).toBe(1);
    expect(
      sumOf(await pointsOf(reader, instrumentNames.agentToolCalls), {
        'cairn.tool': 'calculator',
        'cairn.tool.status': 'ok',
      }),
    ).toBe(1);
  });
});
