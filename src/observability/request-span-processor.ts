import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

// An isolate that is never flushed must not grow without bound: past this, spans are dropped.
const MAX_BUFFERED_SPANS = 2048;
const EXPORT_BATCH = 512;

/**
 * Keeps ended spans until `forceFlush`, then exports them. For Workers, where an isolate runs no
 * timers between requests: each request (and queue batch) flushes from its waitUntil, so its spans
 * leave with it, after the response.
 */
export function createRequestSpanProcessor(exporter: SpanExporter): SpanProcessor {
  let buffer: ReadableSpan[] = [];
  const exportBatch = (spans: ReadableSpan[]) =>
    new Promise<void>((resolve) => exporter.export(spans, () => resolve()));
  return {
    onStart() {},
    onEnd(span) {
      if (buffer.length < MAX_BUFFERED_SPANS && span.spanContext().traceFlags & 1) buffer.push(span);
    },
    async forceFlush() {
      const spans = buffer;
      buffer = [];
      for (let i = 0; i < spans.length; i += EXPORT_BATCH)
        await exportBatch(spans.slice(i, i + EXPORT_BATCH));
    },
    async shutdown() {
      await this.forceFlush();
      await exporter.shutdown();
    },
  };
}
