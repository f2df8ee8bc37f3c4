import type { Meter } from '@opentelemetry/api';

/**
 * Renders the current state of every instrument in the Prometheus text exposition format. Node
 * has one (the process's MeterProvider with a pull reader); Workers have none, since an isolate's
 * counters are not the service's.
 */
export type MetricsScrape = () => Promise<string>;

/** The media type of the Prometheus text exposition format, as scrapers ask for it. */
export const PROMETHEUS_TEXT_TYPE = 'text/plain; version=0.0.4';

// Which meters a pull reader can render. Keyed by the meter itself, so the route finds the scrape
// through the meter it already gets from deps (`deps.telemetry.meter`), and this runtime-neutral
// module never imports the Node-only exporter.
const scrapes = new WeakMap<Meter, MetricsScrape>();

/** Records that `meter`'s instruments are rendered by `scrape` (the Node export does this). */
export function attachScrape(meter: Meter, scrape: MetricsScrape): void {
  scrapes.set(meter, scrape);
}

/** The scrape of `meter`; undefined for a meter without a pull reader (Workers, no-op meters). */
export function scrapeOf(meter: Meter): MetricsScrape | undefined {
  return scrapes.get(meter);
}
