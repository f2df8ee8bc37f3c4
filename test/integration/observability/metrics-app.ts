import { createLogger } from '../../../src/observability/logger.ts';
import { createPrometheusMeter } from '../../../src/observability/metrics-export/prometheus-export.ts';
import { noTelemetry } from '../../../src/observability/telemetry.ts';
import type { TestAppOptions } from '../../helpers/test-app.ts';

export const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/**
 * Test-app options with the Node export's meter, as src/node/server.ts builds it: GET /metrics
 * serves its scrape. Without these options the app has no scrape, as on Workers.
 */
export function withPrometheusMetrics(env: Record<string, string> = {}): TestAppOptions {
  const meter = createPrometheusMeter({
    serviceName: 'cairn',
    serviceVersion: 'test',
    logger: createLogger({ level: 'silent', write: () => {} }),
  });
  return { env, override: { telemetry: noTelemetry(meter) } };
}
