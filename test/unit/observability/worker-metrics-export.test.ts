import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInstruments } from '../../../src/observability/instruments.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import {
  createWorkerMetricsExport,
  metricsEndpoint,
  parseOtlpHeaders,
} from '../../../src/observability/metrics-export/worker-metrics-export.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    resourceMetrics: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeMetrics: {
        metrics: {
          name: string;
          sum?: { aggregationTemporality: number; dataPoints: { asDouble?: number }[] };
        }[];
      }[];
    }[];
  };
}

// OTLP's AggregationTemporality enum.
const DELTA = 1;

describe('createWorkerMetricsExport', () => {
  const received: Received[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    received.length = 0;
    status = 200;
  });

  const setup = (options: { headers?: string; intervalMs?: number } = {}) => {
    const logs: Record<string, unknown>[] = [];
    let clock = 1_000_000;
    const waits: Promise<unknown>[] = [];
    const metrics = createWorkerMetricsExport({
      url,
      headers: options.headers,
      intervalMs: options.intervalMs ?? 60_000,
      serviceName: 'cairn',
      serviceVersion: 'test',
      logger: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) }),
      now: () => clock,
    });
    return {
      metrics,
      instruments: createInstruments(metrics.meter),
      logs,
      advance: (ms: number) => {
        clock += ms;
      },
      ctx: { waitUntil: (work: Promise<unknown>) => waits.push(work) },
      settled: () => Promise.all(waits),
    };
  };

  it('pushes the recorded instruments as OTLP/JSON with delta temporality and the configured headers', async () => {
    const t = setup({ headers: 'authorization=Bearer%20collector-key,x-team=ai' });
    t.instruments.agentRuns.add(2, { 'cairn.stop_reason': 'completed' });
    t.metrics.afterRequest(t.ctx);
    await t.settled();

    expect(received).toHaveLength(1);
    const [push] = received;
    expect(push!.path).toBe('/v1/metrics');
    expect(push!.headers.authorization).toBe('Bearer collector-key');
    expect(push!.headers['x-team']).toBe('ai');
    const resource = push!.body.resourceMetrics[0]!;
    expect(resource.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'cairn' },
    });
    const runs = resource.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.name === 'cairn.agent.runs');
    expect(runs?.sum?.aggregationTemporality).toBe(DELTA);
    expect(runs?.sum?.dataPoints[0]?.asDouble).toBe(2);
  });

  it('pushes at most once per interval, and only deltas', async () => {
    const t = setup({ intervalMs: 10_000 });
    t.instruments.agentRuns.add(1, { 'cairn.stop_reason': 'completed' });
    t.metrics.afterRequest(t.ctx);
    await t.settled();
    t.instruments.agentRuns.add(1, { 'cairn.stop_reason': 'completed' });
    t.advance(5_000);
    t.metrics.afterRequest(t.ctx);
    await t.settled();
    expect(received).toHaveLength(1);

    t.advance(5_000);
    t.metrics.afterRequest(t.ctx);
    await t.settled();
    expect(received).toHaveLength(2);
    const runs = received[1]!.body.resourceMetrics[0]!.scopeMetrics.flatMap((s) => s.metrics).find(
      (m) => m.name === 'cairn.agent.runs',
    );
    expect(runs?.sum?.dataPoints[0]?.asDouble).toBe(1);
  });

  it('sends nothing when nothing was recorded', async () => {
    const t = setup();
    await t.metrics.exportNow();
    expect(received).toHaveLength(0);
  });

  it('logs a refused push instead of failing the request', async () => {
    status = 400;
    const t = setup();
    t.instruments.modelTokens.add(10, { 'gen_ai.request.model': 'local', 'gen_ai.token.type': 'input' });
    t.metrics.afterRequest(t.ctx);
    await t.settled();
    expect(t.logs.some((line) => line.msg === 'metrics export failed')).toBe(true);
  });
});

describe('metrics export settings', () => {
  it('posts to the metrics endpoint as is, else to /v1/metrics under the OTLP endpoint', () => {
    expect(metricsEndpoint({})).toBeUndefined();
    expect(metricsEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/' })).toBe(
      'https://otel.example.com/v1/metrics',
    );
    expect(
      metricsEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://metrics.example.com/otlp',
      }),
    ).toBe('https://metrics.example.com/otlp');
  });

  it('parses OTEL_EXPORTER_OTLP_HEADERS, decoding values and skipping pairs without a key', () => {
    expect(parseOtlpHeaders(undefined)).toEqual({});
    expect(parseOtlpHeaders('api-key=a%3Db, =x, broken, x-scope = team ,bad=%E0%A4%A')).toEqual({
      'api-key': 'a=b',
      'x-scope': 'team',
      bad: '%E0%A4%A',
    });
  });
});
