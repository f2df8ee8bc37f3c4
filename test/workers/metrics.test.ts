import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInstruments } from '../../src/observability/instruments.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWorkerMetricsExport } from '../../src/observability/metrics-export/worker-metrics-export.ts';
import { as, call } from './worker-client.ts';

describe('metrics inside workerd', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers GET /metrics 404 problem+json: an isolate has no process-wide counters', async () => {
    for (const res of [await call('/metrics'), await as('metrics-admin', '/metrics', { role: 'admin' })]) {
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { detail: string }).detail).toMatch(/OTLP/);
    }
  });

  it('pushes OTLP/JSON with the platform fetch', async () => {
    const sent: Request[] = [];
    // The exporter's fetch build, with the options it passes, as workerd accepts them.
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      sent.push(new Request(input, init));
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const metrics = createWorkerMetricsExport({
      url: 'https://otel.example.com/v1/metrics',
      headers: 'x-api-key=k1',
      intervalMs: 60_000,
      serviceName: 'cairn',
      serviceVersion: 'test',
      logger: createLogger({ level: 'silent', write: () => {} }),
    });
    createInstruments(metrics.meter).guardRejections.add(3, {
      'cairn.guard': 'rate-limit',
      'cairn.reason': 'quota',
    });
    await metrics.exportNow();

    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('https://otel.example.com/v1/metrics');
    expect(request!.headers.get('x-api-key')).toBe('k1');
    expect(request!.headers.get('content-type')).toBe('application/json');
    const body = (await request!.json()) as {
      resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[];
    };
    const names = body.resourceMetrics.flatMap((r) =>
      r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)),
    );
    expect(names).toContain('cairn.guard.rejections');
  });
});
