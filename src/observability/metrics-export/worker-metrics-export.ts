import type { Meter } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { WaitUntil } from '../../deps.ts';
import type { Logger } from '../logger.ts';

/** The isolate's meter and the hook that pushes what it recorded. */
export interface WorkerMetricsExport {
  meter: Meter;
  /**
   * Call once per request or queue batch: when `intervalMs` has passed since the last export,
   * collects and pushes what accumulated since then, kept alive after the response by `waitUntil`.
   */
  afterRequest(ctx: WaitUntil | undefined): void;
  /** Collects and pushes now (tests; a deployment relies on `afterRequest`). */
  exportNow(): Promise<void>;
}

// Collected only when asked: an isolate runs no timers between requests.
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * Where metrics go: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is, else
 * `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/metrics`; undefined when neither is set (nothing is pushed).
 */
export function metricsEndpoint(settings: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?: string | undefined;
}): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/metrics`;
  return undefined;
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs separated by commas, values URL-encoded (the
 * OpenTelemetry environment variable specification). Pairs without a key are ignored; a value
 * that does not decode is kept as written.
 */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    if (at <= 0 || !key) continue;
    const value = pair.slice(at + 1).trim();
    try {
      headers[key] = decodeURIComponent(value);
    } catch {
      headers[key] = value; // not percent-encoded after all
    }
  }
  return headers;
}

/**
 * Workers' metrics: the same instruments as on Node, pushed over OTLP/HTTP (JSON) by the official
 * exporter (its fetch build on workerd) with delta temporality, since an isolate is one of many
 * short-lived copies and its running totals mean nothing alone (docs/decisions/0009-metrics-export.md).
 * Collection happens after requests, at most once per `intervalMs`; what an evicted isolate
 * recorded since its last export is lost.
 */
export function createWorkerMetricsExport(options: {
  /** The full URL metrics are posted to (`metricsEndpoint`). */
  url: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS`, unparsed. */
  headers?: string | undefined;
  intervalMs: number;
  serviceName: string;
  serviceVersion: string;
  logger: Logger;
  now?: () => number;
}): WorkerMetricsExport {
  const now = options.now ?? Date.now;
  const exporter = new OTLPMetricExporter({
    url: options.url,
    headers: parseOtlpHeaders(options.headers),
    temporalityPreference: AggregationTemporalityPreference.DELTA,
  });
  const reader = new OnDemandReader({
    aggregationSelector: (type) => exporter.selectAggregation(type),
    aggregationTemporalitySelector: (type) => exporter.selectAggregationTemporality(type),
  });
  const provider = new MeterProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': options.serviceName,
        'service.version': options.serviceVersion,
      }),
    ),
    readers: [reader],
  });
  let lastExport: number | undefined;

  async function exportNow(): Promise<void> {
    const { resourceMetrics, errors } = await reader.collect();
    for (const error of errors) options.logger.warn('metrics collection failed', { err: error });
    if (resourceMetrics.scopeMetrics.every((scope) => scope.metrics.length === 0)) return;
    const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
      exporter.export(resourceMetrics, resolve),
    );
    if (result.code !== ExportResultCode.SUCCESS) {
      options.logger.warn('metrics export failed', { err: result.error });
    }
  }

  return {
    meter: provider.getMeter('cairn', options.serviceVersion),
    afterRequest(ctx) {
      const at = now();
      if (lastExport !== undefined && at - lastExport < options.intervalMs) return;
      lastExport = at;
      const work = exportNow().catch((error: unknown) =>
        options.logger.warn('metrics export failed', { err: error }),
      );
      ctx?.waitUntil(work);
    },
    exportNow,
  };
}
