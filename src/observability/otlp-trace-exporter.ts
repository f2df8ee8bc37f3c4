import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from './logger.ts';
import { parseOtlpHeaders } from './metrics-export/worker-metrics-export.ts';

// A collector that is down must not fill the log: one line, then at most one a minute.
const FAILURE_LOG_EVERY_MS = 60_000;

/**
 * The official OTLP/HTTP exporter (JSON; its Node build on Node, its fetch build on workerd) to
 * `url`, with OTEL_EXPORTER_OTLP_HEADERS. Its failures go to OpenTelemetry's diagnostic logger,
 * which cairn does not register: they are logged here instead, at most once a minute.
 */
export function createOtlpTraceExporter(options: {
  url: string;
  headers?: string | undefined;
  logger: Logger;
}): SpanExporter {
  const exporter = new OTLPTraceExporter({ url: options.url, headers: parseOtlpHeaders(options.headers) });
  let lastFailureLog = Number.NEGATIVE_INFINITY;
  let failures = 0;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          failures += 1;
          const now = Date.now();
          if (now - lastFailureLog >= FAILURE_LOG_EVERY_MS) {
            lastFailureLog = now;
            options.logger.warn('trace export failed', { err: result.error, failed_exports: failures });
          }
        }
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
}
