import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../logger.ts';
import { attachScrape } from './metrics-scrape.ts';

/**
 * A MeterProvider read by the OpenTelemetry Prometheus exporter as a pull reader, without the
 * exporter's own HTTP server: the app serves the text on `GET /metrics`, behind its auth
 * (docs/decisions/0009-metrics-export.md), which finds the scrape through the returned meter
 * (`scrapeOf`): hand it to the telemetry as `meter`. Node only: the exporter imports Node's `http`,
 * so only the Node entry imports this file.
 */
export function createPrometheusMeter(options: {
  serviceName: string;
  serviceVersion: string;
  logger: Logger;
}): Meter {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': options.serviceName,
        'service.version': options.serviceVersion,
      }),
    ),
    readers: [reader],
  });
  // The exporter's defaults: no prefix, no timestamps, scope labels and target_info included.
  const serializer = new PrometheusSerializer();
  const meter = provider.getMeter('cairn', options.serviceVersion);
  attachScrape(meter, async () => {
    const { resourceMetrics, errors } = await reader.collect();
    // A failed observable callback leaves its instrument out of this scrape; the rest still goes.
    for (const error of errors) options.logger.warn('metrics collection failed', { err: error });
    return serializer.serialize(resourceMetrics);
  });
  return meter;
}
